#include "controller/controller.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "controller_fixture.hpp"
#include "unit/fixtures/identities.hpp"
#include "vnet/config_check.hpp"
#include "vnet/revocations.hpp"
#include "vnet/ula.hpp"

namespace weft::controller {
namespace {

using testing::TempDir;
using weft::testing::alice;
using weft::testing::bob;
using weft::testing::kAliceSecret;
using weft::testing::mallory;

constexpr std::uint64_t kT = 1'700'000'000'000;  // the test's "now", ms since the epoch

// Alice runs the controller; Bob and Mallory are would-be members.
std::unique_ptr<Controller> open_controller(const TempDir& dir, Controller::Limits limits = {}) {
  auto store = Store::open(dir.db(), {});
  WEFT_CHECK(store.ok());
  return std::make_unique<Controller>(crypto::Identity::parse(kAliceSecret).value(),
                                      std::move(store).value(), limits);
}

NetworkSettings lab(bool is_private = true) {
  NetworkSettings s;
  s.name = "lab";
  s.is_private = is_private;
  s.dns_domain = "lab.weft";
  s.ipv4_pools = {{0x0a010000, 0x0a0100ff, 24}};  // 10.1.0.0 - 10.1.0.255
  return s;
}

const crypto::PublicIdentity& pub(const crypto::Identity& id) { return id.public_identity(); }

std::string ipv4_text(const wire::Ipv4Assignment& a) {
  return std::to_string(std::to_integer<int>(a.address[0])) + "." +
         std::to_string(std::to_integer<int>(a.address[1])) + "." +
         std::to_string(std::to_integer<int>(a.address[2])) + "." +
         std::to_string(std::to_integer<int>(a.address[3])) + "/" + std::to_string(a.prefix);
}

wire::NetworkConfig expect_config(const Result<Controller::Reply>& reply) {
  EXPECT_TRUE(reply.ok());
  const auto* msg = std::get_if<wire::ConfigMessage>(&reply.value());
  WEFT_CHECK(msg != nullptr);
  return msg->config;
}

wire::RefusalReason expect_refusal(const Result<Controller::Reply>& reply) {
  EXPECT_TRUE(reply.ok());
  const auto* msg = std::get_if<wire::ConfigRefusal>(&reply.value());
  WEFT_CHECK(msg != nullptr);
  return msg->reason;
}

TEST(Controller, PrivateNetworkAdmitsOnlyAuthorizedMembers) {
  TempDir dir;
  auto c = open_controller(dir);
  auto net = c->create_network(lab(), kT);
  ASSERT_TRUE(net) << name(net.error());
  EXPECT_EQ(net->id, NetworkId::make(alice().address(), 1));

  EXPECT_EQ(expect_refusal(c->handle_config_request(pub(bob()), net->id, kT)),
            wire::RefusalReason::not_authorized);
  auto members = c->members(net->id, kT);
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), 1U);
  EXPECT_FALSE(members->front().row.authorized);
  EXPECT_EQ(members->front().row.identity, pub(bob()).to_string());

  ASSERT_TRUE(c->authorize(net->id, bob().address(), kT + 1));
  ASSERT_TRUE(c->update_member(net->id, bob().address(), {.name = "bob"}, kT + 1));
  const auto config = expect_config(c->handle_config_request(pub(bob()), net->id, kT + 2));
  EXPECT_TRUE(vnet::ConfigCheck::check(config, net->id, pub(bob()), pub(alice()), std::nullopt));
  EXPECT_EQ(config.name, "lab");
  EXPECT_TRUE(config.is_private);
  EXPECT_EQ(config.issued_ms, kT + 2);
  EXPECT_EQ(config.credential.issued_ms, kT + 2);
  ASSERT_EQ(config.ipv4.size(), 1U);
  EXPECT_EQ(ipv4_text(config.ipv4[0]), "10.1.0.1/24");  // .0 is the subnet's own address
  ASSERT_EQ(config.ipv6.size(), 1U);
  const auto ula = vnet::Ula::member_address(net->id, bob().address());
  for (std::size_t i = 0; i < 16; ++i)
    EXPECT_EQ(std::to_integer<std::uint8_t>(config.ipv6[0].address[i]), ula[i]);
  EXPECT_EQ(config.dns_name, "bob.lab.weft");
  EXPECT_EQ(config.dns_domain, "lab.weft");
}

TEST(Controller, PublicNetworkAdmitsAnyone) {
  TempDir dir;
  auto c = open_controller(dir);
  auto net = c->create_network(lab(false), kT);
  ASSERT_TRUE(net);
  const auto b = expect_config(c->handle_config_request(pub(bob()), net->id, kT));
  const auto m = expect_config(c->handle_config_request(pub(mallory()), net->id, kT));
  EXPECT_FALSE(b.is_private);
  EXPECT_EQ(ipv4_text(b.ipv4[0]), "10.1.0.1/24");
  EXPECT_EQ(ipv4_text(m.ipv4[0]), "10.1.0.2/24");
  // Asking again gets the same address.
  EXPECT_EQ(ipv4_text(expect_config(c->handle_config_request(pub(bob()), net->id, kT + 5)).ipv4[0]),
            "10.1.0.1/24");
}

TEST(Controller, UnknownNetworksAreRefused) {
  TempDir dir;
  auto c = open_controller(dir);
  EXPECT_EQ(expect_refusal(
                c->handle_config_request(pub(bob()), NetworkId::make(alice().address(), 9), kT)),
            wire::RefusalReason::not_found);
  // A network id naming another controller.
  EXPECT_EQ(expect_refusal(
                c->handle_config_request(pub(bob()), NetworkId::make(mallory().address(), 1), kT)),
            wire::RefusalReason::not_found);
  EXPECT_EQ(c->delete_network(NetworkId::make(alice().address(), 9)).error(), Error::not_found);
}

TEST(Controller, InvalidSettingsAreRefused) {
  TempDir dir;
  auto c = open_controller(dir);
  auto bad = [&](auto edit) {
    NetworkSettings s = lab();
    edit(s);
    return c->create_network(s, kT);
  };
  EXPECT_EQ(bad([](auto& s) { s.name = ""; }).error(), Error::invalid_argument);
  EXPECT_EQ(bad([](auto& s) { s.name = std::string(65, 'a'); }).error(), Error::invalid_argument);
  EXPECT_EQ(bad([](auto& s) { s.name = "\xff"; }).error(), Error::invalid_argument);
  EXPECT_EQ(bad([](auto& s) { s.mtu = 100; }).error(), Error::invalid_argument);
  EXPECT_EQ(bad([](auto& s) { s.dns_domain = "Bad_Domain"; }).error(), Error::invalid_argument);
  EXPECT_EQ(bad([](auto& s) { s.ipv4_pools = {{10, 5, 24}}; }).error(), Error::invalid_argument);
  EXPECT_EQ(c->networks()->size(), 0U);
  auto net = c->create_network(lab(), kT);
  ASSERT_TRUE(net);
  ASSERT_TRUE(c->authorize(net->id, bob().address(), kT));
  EXPECT_EQ(c->update_member(net->id, bob().address(), {.name = "a.b"}, kT).error(),
            Error::invalid_argument);
  EXPECT_EQ(c->update_member(net->id, bob().address(), {.name = "-x"}, kT).error(),
            Error::invalid_argument);
  EXPECT_EQ(c->update_member(net->id, mallory().address(), {.name = "m"}, kT).error(),
            Error::not_found);
}

TEST(Controller, NetworkNumbersAreTheLowestFree) {
  TempDir dir;
  auto c = open_controller(dir);
  auto a = c->create_network(lab(), kT);
  auto b = c->create_network(lab(), kT);
  auto d = c->create_network(lab(), kT);
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(b->id.number(), 2U);
  ASSERT_TRUE(c->delete_network(b->id));
  EXPECT_EQ(c->create_network(lab(), kT)->id.number(), 2U);
  EXPECT_EQ(c->create_network(lab(), kT)->id.number(), 4U);
}

TEST(Controller, AddressesAreUniqueAndReleasedOnDelete) {
  TempDir dir;
  auto c = open_controller(dir);
  auto net = c->create_network(lab(), kT);
  ASSERT_TRUE(net);
  ASSERT_TRUE(c->authorize(net->id, bob().address(), kT));
  ASSERT_TRUE(c->authorize(net->id, mallory().address(), kT));
  auto bob_info = c->member(net->id, bob().address(), kT);
  auto mal_info = c->member(net->id, mallory().address(), kT);
  ASSERT_TRUE(bob_info && mal_info);
  EXPECT_EQ(ipv4_text(bob_info->ipv4.at(0)), "10.1.0.1/24");
  EXPECT_EQ(ipv4_text(mal_info->ipv4.at(0)), "10.1.0.2/24");

  // An address another member holds is refused; a free one is taken as given.
  const wire::Ipv4Assignment taken{{std::byte{10}, std::byte{1}, std::byte{0}, std::byte{2}}, 24};
  EXPECT_EQ(c->update_member(net->id, bob().address(), {.ipv4 = std::vector{taken}}, kT).error(),
            Error::already_exists);
  EXPECT_EQ(ipv4_text(c->member(net->id, bob().address(), kT)->ipv4.at(0)), "10.1.0.1/24");
  const wire::Ipv4Assignment chosen{{std::byte{10}, std::byte{1}, std::byte{0}, std::byte{50}}, 24};
  ASSERT_TRUE(c->update_member(net->id, bob().address(), {.ipv4 = std::vector{chosen}}, kT));
  EXPECT_EQ(ipv4_text(c->member(net->id, bob().address(), kT)->ipv4.at(0)), "10.1.0.50/24");

  // Deleting Mallory frees .2 for the next member.
  ASSERT_TRUE(c->delete_member(net->id, mallory().address()));
  ASSERT_TRUE(c->authorize(net->id, alice().address(), kT));
  EXPECT_EQ(ipv4_text(c->member(net->id, alice().address(), kT)->ipv4.at(0)), "10.1.0.1/24");
  ASSERT_TRUE(c->authorize(net->id, mallory().address(), kT));
  EXPECT_EQ(ipv4_text(c->member(net->id, mallory().address(), kT)->ipv4.at(0)), "10.1.0.2/24");
}

TEST(Controller, DeauthorizeRevokesAndPushes) {
  TempDir dir;
  auto c = open_controller(dir);
  auto net = c->create_network(lab(), kT);
  ASSERT_TRUE(net);
  ASSERT_TRUE(c->authorize(net->id, bob().address(), kT));
  ASSERT_TRUE(c->authorize(net->id, mallory().address(), kT));
  const auto old = expect_config(c->handle_config_request(pub(mallory()), net->id, kT + 10));
  (void)expect_config(c->handle_config_request(pub(bob()), net->id, kT + 10));
  EXPECT_TRUE(c->take_pushes(kT + 11).empty());  // nothing changed since they asked

  ASSERT_TRUE(c->deauthorize(net->id, mallory().address(), kT + 20));
  const auto pushes = c->take_pushes(kT + 21);
  ASSERT_EQ(pushes.size(), 2U);
  bool bob_got_revocation = false;
  bool mallory_got_refusal = false;
  for (const auto& p : pushes) {
    if (p.to == bob().address()) {
      auto r = wire::RevocationMessage::parse(p.message);
      ASSERT_TRUE(r);
      EXPECT_TRUE(vnet::ConfigCheck::check_revocation(*r, net->id, pub(alice())));
      EXPECT_EQ(r->member, mallory().address());
      vnet::Revocations revocations;
      revocations.revoke(r->member, r->threshold_ms);
      EXPECT_TRUE(revocations.covers(mallory().address(), old.credential.issued_ms));
      bob_got_revocation = true;
    }
    if (p.to == mallory().address())
      mallory_got_refusal =
          wire::ConfigRefusal::parse(p.message)->reason == wire::RefusalReason::not_authorized;
  }
  EXPECT_TRUE(bob_got_revocation);
  EXPECT_TRUE(mallory_got_refusal);
  EXPECT_EQ(expect_refusal(c->handle_config_request(pub(mallory()), net->id, kT + 30)),
            wire::RefusalReason::not_authorized);

  // Authorized again in the same millisecond: the new credential is not
  // covered, and it is pushed to Mallory at once (she asked recently).
  ASSERT_TRUE(c->authorize(net->id, mallory().address(), kT + 20));
  const auto reauthorized = c->take_pushes(kT + 21);
  ASSERT_EQ(reauthorized.size(), 1U);
  EXPECT_EQ(reauthorized[0].to, mallory().address());
  ASSERT_TRUE(wire::ConfigMessage::parse(reauthorized[0].message));
  const auto again = expect_config(c->handle_config_request(pub(mallory()), net->id, kT + 20));
  EXPECT_GT(again.credential.issued_ms, kT + 20);
}

TEST(Controller, ChangesReachOnlineMembersOnly) {
  TempDir dir;
  Controller::Limits limits;
  limits.online_window_ms = 1000;
  auto c = open_controller(dir, limits);
  auto net = c->create_network(lab(), kT);
  ASSERT_TRUE(net);
  ASSERT_TRUE(c->authorize(net->id, bob().address(), kT));
  const auto first = expect_config(c->handle_config_request(pub(bob()), net->id, kT));

  const wire::Ipv4Assignment moved{{std::byte{10}, std::byte{1}, std::byte{0}, std::byte{9}}, 24};
  ASSERT_TRUE(c->update_member(net->id, bob().address(), {.ipv4 = std::vector{moved}}, kT + 5));
  auto pushes = c->take_pushes(kT + 6);
  ASSERT_EQ(pushes.size(), 1U);
  EXPECT_EQ(pushes[0].to, bob().address());
  auto msg = wire::ConfigMessage::parse(pushes[0].message);
  ASSERT_TRUE(msg);
  EXPECT_TRUE(vnet::ConfigCheck::check(msg->config, net->id, pub(bob()), pub(alice()),
                                       vnet::ConfigCheck::Held{first.revision, first.issued_ms}));
  EXPECT_EQ(ipv4_text(msg->config.ipv4.at(0)), "10.1.0.9/24");

  // Past the online window, Bob gets nothing pushed; he gets it when he asks.
  ASSERT_TRUE(c->update_member(net->id, bob().address(), {.name = "bob"}, kT + 5000));
  EXPECT_TRUE(c->take_pushes(kT + 5000).empty());
}

TEST(Controller, RestartLosesNothing) {
  TempDir dir;
  NetworkId id = NetworkId::make(alice().address(), 1);
  wire::NetworkConfig before{
      .network = id, .member = bob().address(), .credential = {id, bob().address()}};
  {
    auto c = open_controller(dir);
    auto net = c->create_network(lab(), kT);
    ASSERT_TRUE(net);
    ASSERT_TRUE(c->authorize(net->id, bob().address(), kT));
    ASSERT_TRUE(c->update_member(net->id, bob().address(), {.name = "bob"}, kT));
    (void)c->handle_config_request(pub(mallory()), net->id, kT);  // pending
    ASSERT_TRUE(c->deauthorize(net->id, mallory().address(), kT + 1));
    before = expect_config(c->handle_config_request(pub(bob()), net->id, kT + 2));
  }
  auto c = open_controller(dir);
  auto nets = c->networks();
  ASSERT_TRUE(nets);
  ASSERT_EQ(nets->size(), 1U);
  EXPECT_EQ(nets->front().row.name, "lab");
  EXPECT_EQ(nets->front().pools.size(), 1U);
  EXPECT_EQ(nets->front().authorized_members, 1);
  EXPECT_EQ(nets->front().pending_members, 1);
  auto after = expect_config(c->handle_config_request(pub(bob()), id, kT + 2));
  EXPECT_EQ(after,
            before);  // same revision, addresses, names; same signature (deterministic Ed25519)
}

TEST(Controller, AMemberOfTwoNetworksGetsSeparateConfigs) {
  TempDir dir;
  auto c = open_controller(dir);
  NetworkSettings second = lab();
  second.name = "prod";
  second.dns_domain = "prod.weft";
  second.ipv4_pools = {{0xc0a80000, 0xc0a800ff, 24}};  // 192.168.0.0/24
  auto a = c->create_network(lab(), kT);
  auto b = c->create_network(second, kT);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(c->authorize(a->id, bob().address(), kT));
  ASSERT_TRUE(c->authorize(b->id, bob().address(), kT));
  const auto ca = expect_config(c->handle_config_request(pub(bob()), a->id, kT));
  const auto cb = expect_config(c->handle_config_request(pub(bob()), b->id, kT));
  EXPECT_EQ(ca.network, a->id);
  EXPECT_EQ(cb.network, b->id);
  EXPECT_EQ(ca.credential.network, a->id);
  EXPECT_EQ(cb.credential.network, b->id);
  EXPECT_EQ(ipv4_text(ca.ipv4.at(0)), "10.1.0.1/24");
  EXPECT_EQ(ipv4_text(cb.ipv4.at(0)), "192.168.0.1/24");
  EXPECT_NE(ca.ipv6.at(0), cb.ipv6.at(0));
  // One network's config does not pass as the other's.
  EXPECT_EQ(vnet::ConfigCheck::check(ca, b->id, pub(bob()), pub(alice()), std::nullopt).error(),
            Error::not_authorized);
  // Deauthorizing in one leaves the other alone.
  ASSERT_TRUE(c->deauthorize(a->id, bob().address(), kT + 1));
  (void)expect_config(c->handle_config_request(pub(bob()), b->id, kT + 2));
}

TEST(Controller, AWaitingMemberGetsItsConfigPushedWhenAuthorized) {
  TempDir dir;
  auto c = open_controller(dir);
  auto net = c->create_network(lab(), kT);
  ASSERT_TRUE(net);
  EXPECT_EQ(expect_refusal(c->handle_config_request(pub(bob()), net->id, kT)),
            wire::RefusalReason::not_authorized);
  EXPECT_TRUE(c->take_pushes(kT + 1).empty());
  ASSERT_TRUE(c->authorize(net->id, bob().address(), kT + 2));
  const auto pushes = c->take_pushes(kT + 3);
  ASSERT_EQ(pushes.size(), 1U);
  EXPECT_EQ(pushes[0].to, bob().address());
  auto msg = wire::ConfigMessage::parse(pushes[0].message);
  ASSERT_TRUE(msg);
  EXPECT_TRUE(
      vnet::ConfigCheck::check(msg->config, net->id, pub(bob()), pub(alice()), std::nullopt));
}

TEST(Controller, PreAuthorizedAddressBindsItsIdentityOnFirstRequest) {
  TempDir dir;
  auto c = open_controller(dir);
  auto net = c->create_network(lab(), kT);
  ASSERT_TRUE(net);
  ASSERT_TRUE(c->authorize(net->id, bob().address(), kT));
  EXPECT_TRUE(c->member(net->id, bob().address(), kT)->row.identity.empty());
  (void)expect_config(c->handle_config_request(pub(bob()), net->id, kT));
  EXPECT_EQ(c->member(net->id, bob().address(), kT)->row.identity, pub(bob()).to_string());
}

// A flood of config requests from identities the controller does not know, on
// a private network: the first max_pending are recorded for an admin to see,
// the rest are refused without a write. The store stops growing at the cap.
TEST(Controller, UnknownMemberFloodCostsBoundedStoreGrowth) {
  TempDir dir;
  Controller::Limits limits;
  limits.max_pending = 20;
  auto c = open_controller(dir, limits);
  auto net = c->create_network(lab(), kT);
  ASSERT_TRUE(net);
  // Identities cost ~12 ms each (address proof of work), so 100 distinct
  // strangers send the 10,000 requests between them.
  std::vector<crypto::Identity> strangers;
  for (int i = 0; i < 100; ++i) strangers.push_back(crypto::Identity::generate());
  const auto wal = dir.db() + "-wal";
  std::uintmax_t size_at_cap = 0;
  for (int i = 0; i < 10'000; ++i) {
    const auto& who = strangers[static_cast<std::size_t>(i) % strangers.size()];
    EXPECT_EQ(expect_refusal(c->handle_config_request(who.public_identity(), net->id, kT + i)),
              wire::RefusalReason::not_authorized);
    if (i == 100)
      size_at_cap = std::filesystem::file_size(dir.db()) + std::filesystem::file_size(wal);
  }
  EXPECT_EQ(c->network(net->id)->pending_members, 20);
  EXPECT_EQ(std::filesystem::file_size(dir.db()) + std::filesystem::file_size(wal), size_at_cap);
  // Authorized members are still served.
  ASSERT_TRUE(c->authorize(net->id, bob().address(), kT + 20'000));
  (void)expect_config(c->handle_config_request(pub(bob()), net->id, kT + 20'001));
}

TEST(Controller, HandleInnerSpeaksWireMessages) {
  TempDir dir;
  auto c = open_controller(dir);
  auto net = c->create_network(lab(false), kT);
  ASSERT_TRUE(net);
  Bytes request(wire::ConfigRequest::buffer_len());
  wire::ConfigRequest{net->id, 0}.emit(request);
  auto reply = c->handle_inner(pub(bob()), request, kT);
  ASSERT_TRUE(reply);
  auto msg = wire::ConfigMessage::parse(*reply);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->config.member, bob().address());
  EXPECT_EQ(c->handle_inner(pub(bob()), ByteSpan(request).first(5), kT).error(), Error::truncated);
  Bytes refusal(wire::ConfigRefusal::buffer_len());
  wire::ConfigRefusal{net->id, wire::RefusalReason::not_found}.emit(refusal);
  EXPECT_EQ(c->handle_inner(pub(bob()), refusal, kT).error(), Error::unsupported);
}

// A member gather lists the other online, authorized members, and only to an
// authorized member.
TEST(Controller, GatherListsOnlineAuthorizedMembersToMembersOnly) {
  TempDir dir;
  auto c = open_controller(dir);
  auto net = c->create_network(lab(), kT);
  ASSERT_TRUE(net);
  EXPECT_EQ(c->gather(pub(bob()), net->id, 100, kT).error(), Error::not_authorized);
  ASSERT_TRUE(c->authorize(net->id, bob().address(), kT));
  ASSERT_TRUE(c->authorize(net->id, mallory().address(), kT));
  // Authorized, but neither has asked yet: nobody online, and Bob's keys are not bound.
  EXPECT_EQ(c->gather(pub(bob()), net->id, 100, kT).error(), Error::not_authorized);
  (void)expect_config(c->handle_config_request(pub(bob()), net->id, kT));
  auto list = c->gather(pub(bob()), net->id, 100, kT);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->members.empty());
  (void)expect_config(c->handle_config_request(pub(mallory()), net->id, kT + 1));
  list = c->gather(pub(bob()), net->id, 100, kT + 2);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->members, std::vector<NodeId>{mallory().address()});
  EXPECT_TRUE(c->gather(pub(bob()), net->id, 0, kT + 2)->members.empty());
  // Through handle_inner, as bytes.
  const Bytes request = wire::emit_bytes(wire::MemberGather{net->id, 10});
  auto reply = c->handle_inner(pub(mallory()), request, kT + 3);
  ASSERT_TRUE(reply);
  EXPECT_EQ(*wire::MemberList::parse(*reply), (wire::MemberList{net->id, {bob().address()}}));
  // Deauthorized: neither listed nor answered.
  ASSERT_TRUE(c->deauthorize(net->id, mallory().address(), kT + 4));
  EXPECT_TRUE(c->gather(pub(bob()), net->id, 100, kT + 5)->members.empty());
  EXPECT_EQ(c->handle_inner(pub(mallory()), request, kT + 5).error(), Error::not_authorized);
}

TEST(Controller, NamesAreAnsweredToAuthorizedMembersOnly) {
  TempDir dir;
  auto c = open_controller(dir);
  auto net = c->create_network(lab(), kT);
  ASSERT_TRUE(net);
  const wire::NameQuery query{net->id, 9, "mallory"};
  EXPECT_EQ(c->lookup_name(pub(bob()), query, kT).error(), Error::not_authorized);
  ASSERT_TRUE(c->authorize(net->id, bob().address(), kT));
  ASSERT_TRUE(c->authorize(net->id, mallory().address(), kT));
  (void)expect_config(c->handle_config_request(pub(bob()), net->id, kT));
  // Nobody is called mallory yet.
  auto a = c->lookup_name(pub(bob()), query, kT);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, (wire::NameAnswer{net->id, 9, std::nullopt, {}, {}}));
  ASSERT_TRUE(c->update_member(net->id, mallory().address(), {.name = "mallory"}, kT + 1));
  // Found though mallory never asked: its addresses are assigned at authorization.
  auto info = c->member(net->id, mallory().address(), kT + 1);
  ASSERT_TRUE(info);
  a = c->lookup_name(pub(bob()), query, kT + 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->member, mallory().address());
  ASSERT_EQ(a->ipv4.size(), 1U);
  EXPECT_EQ(a->ipv4[0], info->ipv4[0].address);
  EXPECT_EQ(a->ipv6, std::vector<ByteArray<16>>{info->ipv6.address});
  EXPECT_EQ(a->query, 9U);
  // Through handle_inner, as bytes.
  auto reply = c->handle_inner(pub(bob()), wire::emit_bytes(query), kT + 2);
  ASSERT_TRUE(reply);
  EXPECT_EQ(*wire::NameAnswer::parse(*reply), *a);
  // Mallory's keys are not bound (it never asked): it may not ask.
  EXPECT_EQ(c->lookup_name(pub(mallory()), {net->id, 1, "bob"}, kT + 2).error(),
            Error::not_authorized);
  // Deauthorized: no longer found, and no longer answered.
  ASSERT_TRUE(c->deauthorize(net->id, mallory().address(), kT + 3));
  EXPECT_FALSE(c->lookup_name(pub(bob()), query, kT + 4)->member);
  ASSERT_TRUE(c->deauthorize(net->id, bob().address(), kT + 5));
  EXPECT_EQ(c->lookup_name(pub(bob()), query, kT + 6).error(), Error::not_authorized);
  // Another controller's network.
  EXPECT_EQ(c->lookup_name(pub(bob()), {*NetworkId::parse("89e92ceee500abcd"), 1, "x"}, kT + 6)
                .error(),
            Error::not_found);
}

}  // namespace
}  // namespace weft::controller
