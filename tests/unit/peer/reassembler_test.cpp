#include "peer/reassembler.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "peer/fragmenter.hpp"
#include "wire/fragment.hpp"
#include "wire/inner.hpp"

namespace weft::peer {
namespace {

Bytes message(std::size_t n, unsigned seed = 1) {
  Bytes m(n);
  for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::byte>((i * 31 + seed) & 0xff);
  m[0] = std::byte{0x01};  // a frame
  return m;
}

std::vector<Bytes> split(const Bytes& m, std::uint32_t id, std::size_t max = 1368) {
  return Fragmenter::split(m, id, max).value();
}

Result<std::optional<Bytes>> add(Reassembler& r, Instant now, std::uint64_t src, const Bytes& f) {
  return r.add(now, src, wire::FragmentView::parse(f).value());
}

const Instant t0 = Instant::from_nanos(1'000'000'000);

TEST(Fragmenter, SplitsWithinTheLimitAndCoversTheMessage) {
  const Bytes m = message(9000);
  const auto parts = split(m, 7);
  ASSERT_EQ(parts.size(), 7U);  // 1352 data bytes per fragment
  for (const auto& p : parts) EXPECT_LE(p.size(), 1368U);
  EXPECT_EQ(Fragmenter::split(message(wire::kMaxInnerMessage + 1), 1, 1368).error(),
            Error::too_large);
  EXPECT_EQ(Fragmenter::split(m, 1, 16).error(), Error::invalid_argument);
}

TEST(Reassembler, InOrder) {
  Reassembler r;
  const Bytes m = message(9000);
  const auto parts = split(m, 7);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    auto res = add(r, t0, 1, parts[i]);
    ASSERT_TRUE(res);
    EXPECT_FALSE(res->has_value());
  }
  auto done = add(r, t0, 1, parts.back());
  ASSERT_TRUE(done && done->has_value());
  EXPECT_EQ(**done, m);
  EXPECT_EQ(r.in_flight(), 0U);
  EXPECT_EQ(r.bytes(), 0U);
}

TEST(Reassembler, OutOfOrderWithDuplicatesAndLargestMessage) {
  Reassembler r;
  const Bytes m = message(wire::kMaxInnerMessage, 5);
  auto parts = split(m, 9);
  std::reverse(parts.begin(), parts.end());
  std::swap(parts[3], parts[20]);
  std::optional<Bytes> whole;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i == 10) {
      auto dup = add(r, t0, 1, parts[4]);  // a duplicate changes nothing
      ASSERT_TRUE(dup);
      EXPECT_FALSE(dup->has_value());
    }
    auto res = add(r, t0, 1, parts[i]);
    ASSERT_TRUE(res);
    if (res->has_value()) whole = std::move(**res);
  }
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole, m);
  EXPECT_EQ(r.stats().duplicates, 1U);
  // A duplicate after completion starts a new reassembly that never completes.
  ASSERT_TRUE(add(r, t0, 1, parts[0]));
  EXPECT_EQ(r.in_flight(), 1U);
}

TEST(Reassembler, MissingFragmentTimesOut) {
  Reassembler r({.max_messages = 8, .max_bytes = 1 << 20, .timeout = 5s});
  const auto parts = split(message(5000), 3);
  for (std::size_t i = 1; i < parts.size(); ++i) ASSERT_TRUE(add(r, t0, 1, parts[i]));
  EXPECT_EQ(r.in_flight(), 1U);
  EXPECT_EQ(r.deadline(), t0 + 5s);
  r.expire(t0 + 4999ms);
  EXPECT_EQ(r.in_flight(), 1U);
  r.expire(t0 + 5s);
  EXPECT_EQ(r.in_flight(), 0U);
  EXPECT_EQ(r.bytes(), 0U);
  EXPECT_EQ(r.stats().timed_out, 1U);
  EXPECT_EQ(r.deadline(), Instant::max());
  // The late first fragment alone does not resurrect the message.
  auto late = add(r, t0 + 6s, 1, parts[0]);
  ASSERT_TRUE(late);
  EXPECT_FALSE(late->has_value());
}

TEST(Reassembler, InconsistentOverlapDropsTheMessage) {
  Reassembler r;
  const Bytes m = message(3000);
  const auto parts = split(m, 4);
  ASSERT_TRUE(add(r, t0, 1, parts[0]));
  // Same range, one byte different: the whole message is dropped.
  Bytes evil = parts[0];
  evil.back() ^= std::byte{1};
  EXPECT_EQ(add(r, t0, 1, evil).error(), Error::malformed);
  EXPECT_EQ(r.in_flight(), 0U);
  EXPECT_EQ(r.stats().inconsistent, 1U);

  // An overlapping range that agrees on the shared bytes is fine.
  ASSERT_TRUE(add(r, t0, 2, parts[0]));
  Bytes overlap(wire::FragmentHeader::buffer_len() + 100);
  wire::FragmentHeader{4, 3000, 1300}.emit(overlap);
  std::copy_n(m.begin() + 1300, 100, overlap.begin() + 16);
  ASSERT_TRUE(add(r, t0, 2, overlap));
  // The same range with different bytes is not.
  overlap[16 + 60] ^= std::byte{0xff};
  EXPECT_EQ(add(r, t0, 2, overlap).error(), Error::malformed);

  // A fragment claiming another total length for the same message id.
  ASSERT_TRUE(add(r, t0, 3, parts[0]));
  Bytes other(wire::FragmentHeader::buffer_len() + 10);
  wire::FragmentHeader{4, 2999, 2000}.emit(other);
  EXPECT_EQ(add(r, t0, 3, other).error(), Error::malformed);
  EXPECT_EQ(r.in_flight(), 0U);
}

TEST(Reassembler, SourcesDoNotMix) {
  Reassembler r;
  const Bytes a = message(3000, 1);
  const Bytes b = message(3000, 2);
  const auto pa = split(a, 1);
  const auto pb = split(b, 1);  // same message id from another peer
  ASSERT_TRUE(add(r, t0, 10, pa[0]));
  ASSERT_TRUE(add(r, t0, 20, pb[0]));
  ASSERT_TRUE(add(r, t0, 10, pa[1]));
  ASSERT_TRUE(add(r, t0, 20, pb[1]));
  auto da = add(r, t0, 10, pa[2]);
  auto db = add(r, t0, 20, pb[2]);
  ASSERT_TRUE(da && da->has_value() && db && db->has_value());
  EXPECT_EQ(**da, a);
  EXPECT_EQ(**db, b);
}

TEST(Reassembler, MemoryStaysBoundedUnderAFloodAndEvictsOldestFirst) {
  const ReassemblerLimits limits{.max_messages = 16, .max_bytes = 256 * 1024, .timeout = 5s};
  Reassembler r(limits);
  // 10,000 messages of 64 KiB, each started and never finished.
  for (std::uint32_t id = 0; id < 10'000; ++id) {
    Bytes f(wire::FragmentHeader::buffer_len() + 1);
    wire::FragmentHeader{id, 65536, 0}.emit(f);
    ASSERT_TRUE(add(r, t0 + std::chrono::microseconds(id), 1, f));
    ASSERT_LE(r.in_flight(), limits.max_messages);
    ASSERT_LE(r.bytes(), limits.max_bytes);
  }
  // Bytes bind first here: three 64 KiB reassemblies fit in 256 KiB.
  EXPECT_EQ(r.in_flight(), 3U);
  EXPECT_EQ(r.stats().evicted, 10'000U - 3U);

  // Small messages: the count binds, and the oldest go first.
  Reassembler s(limits);
  const Bytes m = message(3000);
  for (std::uint32_t id = 0; id < 20; ++id) {
    const auto parts = split(m, id);
    ASSERT_TRUE(add(s, t0 + std::chrono::milliseconds(id), 1, parts[0]));
  }
  EXPECT_EQ(s.in_flight(), 16U);
  // Message 3 was evicted (ids 0-3 went first): finishing it starts over.
  const auto p3 = split(m, 3);
  auto r3 = add(s, t0 + 100ms, 1, p3[1]);
  ASSERT_TRUE(r3);
  EXPECT_FALSE(r3->has_value());
  // Message 19 survived and completes; message 4 was evicted by message 3's restart.
  const auto p19 = split(m, 19);
  ASSERT_TRUE(add(s, t0 + 100ms, 1, p19[1]));
  auto r19 = add(s, t0 + 100ms, 1, p19[2]);
  ASSERT_TRUE(r19 && r19->has_value());
  EXPECT_EQ(**r19, m);
}

TEST(Reassembler, RejectsAMessageThatCanNeverFit) {
  Reassembler r({.max_messages = 4, .max_bytes = 1000, .timeout = 5s});
  Bytes f(wire::FragmentHeader::buffer_len() + 1);
  wire::FragmentHeader{1, 5000, 0}.emit(f);
  EXPECT_EQ(add(r, t0, 1, f).error(), Error::too_large);
  EXPECT_EQ(r.in_flight(), 0U);
}

}  // namespace
}  // namespace weft::peer
