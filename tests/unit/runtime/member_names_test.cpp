// MemberNames: which network a name belongs to, questions, answers, the cache,
// deadlines (docs/vnet.md §3.9).
#include "runtime/member_names.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace weft::runtime {
namespace {

const NetworkId kLab = *NetworkId::parse("89e92ceee5000001");
const NetworkId kHome = *NetworkId::parse("89e92ceee5000002");
const NodeId kBob = *NodeId::parse("fafebe00c8");
const Instant kT = Instant::from_nanos(1'000'000'000);

struct Asked {
  NetworkId network;
  std::uint32_t query;
  std::string label;
};

// Records what is asked and what is answered.
struct Harness {
  explicit Harness(MemberNames::Limits limits = {}) : names(limits) {}
  MemberNames names;
  std::vector<Asked> asked;
  std::vector<Result<NameResolution>> results;
  Result<void> ask_result{};
  std::vector<NamedNetwork> networks{{kLab, "lab.weft"}, {kHome, ""}};

  void resolve(std::string_view name, Instant now = kT) {
    names.resolve(
        now, name, networks,
        [this](NetworkId n, std::uint32_t q, std::string_view l) {
          asked.push_back({n, q, std::string(l)});
          return ask_result;
        },
        [this](Result<NameResolution> r) { results.push_back(std::move(r)); });
  }
  void answer(const Asked& a, bool found, Instant now = kT) {
    wire::NameAnswer reply{a.network, a.query, std::nullopt, {}, {}};
    if (found) {
      reply.member = kBob;
      reply.ipv4 = {ByteArray<4>{std::byte{10}, std::byte{1}, std::byte{0}, std::byte{7}}};
    }
    names.answer(now, reply);
  }
};

TEST(MemberNames, NamesOutsideTheNetworksAreNotVirtual) {
  Harness h;
  for (std::string_view name : {"example.com", "bob.other.weft", "lab.weft", "a..b", "", "x_y"})
    h.resolve(name);
  EXPECT_TRUE(h.asked.empty());
  ASSERT_EQ(h.results.size(), 6U);
  for (const auto& r : h.results) EXPECT_EQ(r->status, NameResolution::Status::not_virtual);
}

TEST(MemberNames, AFullNameAsksItsNetworkAndItsAnswerIsFinal) {
  Harness h;
  h.resolve("Bob.Lab.Weft.");  // case and the trailing dot do not matter
  ASSERT_EQ(h.asked.size(), 1U);
  EXPECT_EQ(h.asked[0].network, kLab);
  EXPECT_EQ(h.asked[0].label, "bob");
  EXPECT_TRUE(h.results.empty());
  h.answer(h.asked[0], true);
  ASSERT_EQ(h.results.size(), 1U);
  EXPECT_EQ(h.results[0]->status, NameResolution::Status::found);
  EXPECT_EQ(h.results[0]->canonical, "bob.lab.weft");
  EXPECT_EQ(h.results[0]->ipv4.size(), 1U);

  h.resolve("carol.lab.weft");
  h.answer(h.asked.back(), false);
  EXPECT_EQ(h.results.back()->status, NameResolution::Status::no_such_member);
}

TEST(MemberNames, ABareLabelTriesEveryNetworkInOrder) {
  Harness h;
  h.resolve("bob");
  ASSERT_EQ(h.asked.size(), 2U);
  EXPECT_EQ(h.asked[1].network, kHome);
  h.answer(h.asked[1], true);  // the second network knows bob, the first has not said yet
  EXPECT_TRUE(h.results.empty());
  h.answer(h.asked[0], false);
  ASSERT_EQ(h.results.size(), 1U);
  EXPECT_EQ(h.results[0]->status, NameResolution::Status::found);
  EXPECT_EQ(h.results[0]->canonical, "bob");  // home has no domain

  // Nobody knows "printer": the system resolver's.
  h.resolve("printer");
  h.answer(h.asked[2], false);
  h.answer(h.asked[3], false);
  EXPECT_EQ(h.results.back()->status, NameResolution::Status::not_virtual);
}

TEST(MemberNames, AnswersAreCachedAndQuestionsShared) {
  Harness h;
  h.resolve("bob.lab.weft");
  h.resolve("bob.lab.weft");  // the same question is in flight: not asked twice
  ASSERT_EQ(h.asked.size(), 1U);
  h.answer(h.asked[0], true);
  EXPECT_EQ(h.results.size(), 2U);
  h.resolve("bob.lab.weft", kT + 29s);  // cached
  EXPECT_EQ(h.asked.size(), 1U);
  EXPECT_EQ(h.results.size(), 3U);
  h.resolve("bob.lab.weft", kT + 31s);  // expired: asked again
  EXPECT_EQ(h.asked.size(), 2U);
}

TEST(MemberNames, StaleAndForeignAnswersAreIgnored) {
  Harness h;
  h.resolve("bob.lab.weft");
  Asked wrong = h.asked[0];
  wrong.query += 1;
  h.answer(wrong, true);
  Asked other = h.asked[0];
  other.network = kHome;  // the right query id, from another network's controller
  h.answer(other, true);
  EXPECT_TRUE(h.results.empty());
  h.answer(h.asked[0], true);
  EXPECT_EQ(h.results.size(), 1U);
  h.answer(h.asked[0], false);  // again: nothing waits for it
  EXPECT_EQ(h.results.size(), 1U);
}

TEST(MemberNames, DeadlinesEndLookups) {
  Harness h;
  h.resolve("bob.lab.weft");
  h.resolve("bob");  // asks only home: lab's "bob" is in flight
  ASSERT_EQ(h.asked.size(), 2U);
  h.names.expire(kT + 2s);
  EXPECT_TRUE(h.results.empty());
  h.names.expire(kT + 3s);
  ASSERT_EQ(h.results.size(), 2U);
  EXPECT_EQ(h.results[0].error(), Error::timed_out);  // a virtual name, no answer
  EXPECT_EQ(h.results[1]->status, NameResolution::Status::not_virtual);
  // A late answer changes nothing, and the next lookup asks again.
  h.answer(h.asked[0], true, kT + 4s);
  EXPECT_EQ(h.results.size(), 2U);
  h.resolve("bob.lab.weft", kT + 5s);
  EXPECT_EQ(h.asked.size(), 3U);
}

TEST(MemberNames, ANetworkThatCannotBeAskedCountsAsFailed) {
  Harness h;
  h.ask_result = Error::invalid_state;  // no config yet
  h.resolve("bob.lab.weft");
  ASSERT_EQ(h.results.size(), 1U);
  EXPECT_EQ(h.results[0].error(), Error::timed_out);
  h.resolve("bob");
  EXPECT_EQ(h.results[1]->status, NameResolution::Status::not_virtual);
}

TEST(MemberNames, LookupsAreBoundedAndFailAllEndsThem) {
  Harness h(MemberNames::Limits{.max_lookups = 2});
  h.resolve("a.lab.weft");
  h.resolve("b.lab.weft");
  h.resolve("c.lab.weft");
  ASSERT_EQ(h.results.size(), 1U);
  EXPECT_EQ(h.results[0].error(), Error::no_buffer);
  h.names.fail_all(Error::invalid_state);
  ASSERT_EQ(h.results.size(), 3U);
  EXPECT_EQ(h.results[1].error(), Error::invalid_state);
  EXPECT_EQ(h.results[2].error(), Error::invalid_state);
}

}  // namespace
}  // namespace weft::runtime
