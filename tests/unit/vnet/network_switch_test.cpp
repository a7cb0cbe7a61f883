// vnet::NetworkSwitch: configs, peers' credentials (forged, expired, replayed,
// wrong network, revoked), and frames both ways (spoofed sources, unicast,
// broadcast, queues released by a credential).
#include "vnet/network_switch.hpp"

#include <gtest/gtest.h>

#include "unit/fixtures/identities.hpp"
#include "vnet/credentials.hpp"
#include "vnet/member_mac.hpp"
#include "wire/ethernet.hpp"

namespace weft::vnet {
namespace {

using testing::alice;
using testing::bob;
using testing::mallory;

const crypto::Identity& controller() {
  static const crypto::Identity id = crypto::Identity::generate();
  return id;
}
NetworkId network(std::uint32_t n = 1) { return NetworkId::make(controller().address(), n); }
const crypto::PublicIdentity& pub(const crypto::Identity& id) { return id.public_identity(); }

constexpr std::uint64_t kT = 1'700'000'000'000;
constexpr std::uint64_t kDelta = Credentials::kDefaultMaxDeltaMs;
const Instant kNow = Instant{} + 100s;

wire::MembershipCredential credential(const crypto::Identity& member, std::uint64_t at,
                                      NetworkId net = network(),
                                      const crypto::Identity& signer = controller()) {
  return Credentials::issue(signer, net, member.public_identity(), at, kDelta, 1);
}

wire::NetworkConfig config_for(const crypto::Identity& member, std::uint64_t revision,
                               std::uint64_t at, std::vector<wire::Ipv4Assignment> ipv4 = {},
                               const crypto::Identity& signer = controller(),
                               NetworkId net = network()) {
  wire::NetworkConfig c{.network = net,
                        .member = member.address(),
                        .credential = credential(member, at, net, signer)};
  c.revision = revision;
  c.issued_ms = at;
  c.name = "lab";
  c.ipv4 = std::move(ipv4);
  c.signature = signer.sign(c.signing_input());
  return c;
}

wire::RevocationMessage revocation(NodeId member, std::uint64_t threshold,
                                   const crypto::Identity& signer = controller()) {
  wire::RevocationMessage r{network(), member, threshold};
  r.signature = signer.sign(r.signing_input());
  return r;
}

Bytes frame(Mac dst, Mac src, std::uint8_t fill = 0x5a, std::size_t payload = 46) {
  Bytes b(14 + payload, std::byte{fill});
  wire::EthernetRepr{dst, src, std::nullopt, 0x0800}.emit(b);
  return b;
}

Mac mac_of(const crypto::Identity& id, NetworkId net = network()) {
  return MemberMac::derive(net, id.address());
}

// Alice's switch with a config issued at kT.
struct AliceSwitch : ::testing::Test {
  NetworkSwitch sw{network(), pub(alice())};
  void SetUp() override {
    auto c = sw.accept_config(config_for(alice(), 1, kT), pub(controller()));
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->first);
  }
  Result<void> present(const crypto::Identity& from, const wire::MembershipCredential& c,
                       std::vector<Bytes>* released = nullptr) {
    std::vector<Bytes> r;
    auto out = sw.accept_credential(kNow, pub(from), c, r);
    if (released) *released = std::move(r);
    return out;
  }
};

TEST(NetworkSwitch, RefusesAConfigSignedByAnotherKey) {
  NetworkSwitch sw(network(), pub(alice()));
  // Mallory signs a config for the controller's network and claims to be its controller.
  EXPECT_EQ(sw.accept_config(config_for(alice(), 1, kT, {}, mallory()), pub(mallory())).error(),
            Error::verification_failed);
  // Mallory's signature presented under the real controller's identity.
  EXPECT_EQ(sw.accept_config(config_for(alice(), 1, kT, {}, mallory()), pub(controller())).error(),
            Error::verification_failed);
  // A config for Bob, or for another network.
  EXPECT_EQ(sw.accept_config(config_for(bob(), 1, kT), pub(controller())).error(),
            Error::not_authorized);
  EXPECT_EQ(
      sw.accept_config(config_for(alice(), 1, kT, {}, controller(), network(2)), pub(controller()))
          .error(),
      Error::not_authorized);
  EXPECT_FALSE(sw.ready());
  EXPECT_EQ(sw.stats().configs_rejected, 4U);
  Bytes f = frame(Mac::broadcast(), sw.mac());
  SwitchOutput out;
  EXPECT_EQ(sw.outbound(kNow, f, out).error(), Error::invalid_state);
}

TEST_F(AliceSwitch, ConfigsReportAddressChangesAndRefuseReplays) {
  const wire::Ipv4Assignment a1{{std::byte{10}, std::byte{1}, std::byte{0}, std::byte{5}}, 24};
  const wire::Ipv4Assignment a2{{std::byte{10}, std::byte{1}, std::byte{0}, std::byte{9}}, 24};
  auto c = sw.accept_config(config_for(alice(), 2, kT + 10, {a1}), pub(controller()));
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->first);
  ASSERT_EQ(c->added.size(), 1U);
  EXPECT_EQ(c->added[0].bytes[3], std::byte{5});
  EXPECT_TRUE(c->removed.empty());
  c = sw.accept_config(config_for(alice(), 3, kT + 20, {a2}), pub(controller()));
  ASSERT_TRUE(c);
  ASSERT_EQ(c->added.size(), 1U);
  ASSERT_EQ(c->removed.size(), 1U);
  EXPECT_EQ(c->added[0].bytes[3], std::byte{9});
  EXPECT_EQ(c->removed[0].bytes[3], std::byte{5});
  // The older config, replayed, changes nothing.
  EXPECT_EQ(sw.accept_config(config_for(alice(), 2, kT + 10, {a1}), pub(controller())).error(),
            Error::replayed);
  EXPECT_EQ(sw.config()->ipv4[0], a2);
  const auto gone = sw.clear();
  EXPECT_EQ(gone.size(), 1U);
  EXPECT_FALSE(sw.ready());
}

TEST_F(AliceSwitch, ForgedExpiredAndWrongNetworkCredentialsAreRejected) {
  // Forged: signed by Mallory.
  EXPECT_EQ(present(bob(), credential(bob(), kT, network(), mallory())).error(),
            Error::verification_failed);
  // Bob presents Mallory's (genuine) credential: not his.
  EXPECT_EQ(present(bob(), credential(mallory(), kT)).error(), Error::not_authorized);
  // Another network of the same controller.
  EXPECT_EQ(present(bob(), credential(bob(), kT, network(2))).error(), Error::not_authorized);
  EXPECT_EQ(sw.peer_state(bob().address()), NetworkSwitch::PeerState::rejected);
  // Expired: issued further than max_delta from ours. Not a refusal: a fresh one may follow.
  EXPECT_EQ(present(bob(), credential(bob(), kT - kDelta - 1)).error(), Error::expired);
  EXPECT_EQ(sw.peer_state(bob().address()), NetworkSwitch::PeerState::pending);
  EXPECT_TRUE(present(bob(), credential(bob(), kT + 5)));
  EXPECT_EQ(sw.peer_state(bob().address()), NetworkSwitch::PeerState::valid);
  EXPECT_EQ(sw.stats().credentials_rejected, 4U);
  EXPECT_EQ(sw.stats().credentials_accepted, 1U);
}

TEST_F(AliceSwitch, AReplayedOlderCredentialDoesNotReplaceTheCurrentOne) {
  ASSERT_TRUE(present(bob(), credential(bob(), kT + 1000)));
  EXPECT_EQ(present(bob(), credential(bob(), kT)).error(), Error::replayed);
  // Revoking up to kT + 500 voids the old one but not the current one: Bob keeps sending.
  ASSERT_TRUE(sw.accept_revocation(revocation(bob().address(), kT + 500)));
  EXPECT_TRUE(sw.inbound(kNow, bob().address(), frame(sw.mac(), mac_of(bob()))));
  // Replayed again, it still changes nothing; to a switch that holds no
  // credential of Bob's it is refused as revoked.
  EXPECT_EQ(present(bob(), credential(bob(), kT)).error(), Error::replayed);
  EXPECT_EQ(sw.peer_state(bob().address()), NetworkSwitch::PeerState::valid);
  NetworkSwitch fresh(network(), pub(alice()));
  ASSERT_TRUE(fresh.accept_config(config_for(alice(), 1, kT), pub(controller())));
  ASSERT_TRUE(fresh.accept_revocation(revocation(bob().address(), kT + 500)));
  std::vector<Bytes> released;
  EXPECT_EQ(fresh.accept_credential(kNow, pub(bob()), credential(bob(), kT), released).error(),
            Error::revoked);
}

TEST_F(AliceSwitch, InboundNeedsAValidCredentialAndTheSendersOwnMac) {
  const Bytes from_bob = frame(sw.mac(), mac_of(bob()));
  EXPECT_EQ(sw.inbound(kNow, bob().address(), from_bob).error(), Error::not_authorized);
  ASSERT_TRUE(present(bob(), credential(bob(), kT)));
  EXPECT_TRUE(sw.inbound(kNow, bob().address(), from_bob));
  EXPECT_TRUE(sw.inbound(kNow, bob().address(), frame(Mac::broadcast(), mac_of(bob()))));
  // Bob spoofs Mallory's MAC, or his own MAC of another network.
  EXPECT_EQ(sw.inbound(kNow, bob().address(), frame(sw.mac(), mac_of(mallory()))).error(),
            Error::permission_denied);
  EXPECT_EQ(sw.inbound(kNow, bob().address(), frame(sw.mac(), mac_of(bob(), network(2)))).error(),
            Error::permission_denied);
  // A unicast frame for someone else.
  EXPECT_EQ(sw.inbound(kNow, bob().address(), frame(mac_of(mallory()), mac_of(bob()))).error(),
            Error::host_unreachable);
  EXPECT_EQ(sw.inbound(kNow, bob().address(), Bytes(13)).error(), Error::malformed);
  // Mallory holds no credential at all.
  EXPECT_EQ(sw.inbound(kNow, mallory().address(), frame(sw.mac(), mac_of(mallory()))).error(),
            Error::not_authorized);
  EXPECT_EQ(sw.stats().frames_received, 2U);
  EXPECT_EQ(sw.stats().dropped_spoofed_source, 2U);
  EXPECT_EQ(sw.stats().dropped_no_credential, 2U);
}

TEST_F(AliceSwitch, ARevocationCutsAMemberOffBothWays) {
  ASSERT_TRUE(present(bob(), credential(bob(), kT)));
  // Signed by someone else, or for another network: ignored.
  EXPECT_EQ(sw.accept_revocation(revocation(bob().address(), kT, mallory())).error(),
            Error::verification_failed);
  ASSERT_TRUE(sw.accept_revocation(revocation(bob().address(), kT)));
  EXPECT_EQ(sw.peer_state(bob().address()), NetworkSwitch::PeerState::rejected);
  EXPECT_EQ(sw.inbound(kNow, bob().address(), frame(sw.mac(), mac_of(bob()))).error(),
            Error::not_authorized);
  SwitchOutput out;
  ASSERT_TRUE(sw.outbound(kNow, frame(mac_of(bob()), sw.mac()), out));
  EXPECT_TRUE(out.send.empty());
  EXPECT_TRUE(out.present.empty());
  EXPECT_EQ(sw.stats().dropped_rejected, 1U);
  // His still-unexpired old credential, presented again, is revoked.
  EXPECT_EQ(present(bob(), credential(bob(), kT)).error(), Error::revoked);
  // A credential issued after the revocation (he was authorized again) works.
  EXPECT_TRUE(present(bob(), credential(bob(), kT + 1)));
}

TEST_F(AliceSwitch, OurOwnRefreshMakesAStaleCredentialUnusable) {
  ASSERT_TRUE(present(bob(), credential(bob(), kT)));
  ASSERT_TRUE(sw.accept_config(config_for(alice(), 1, kT + kDelta + 1), pub(controller())));
  EXPECT_EQ(sw.inbound(kNow, bob().address(), frame(sw.mac(), mac_of(bob()))).error(),
            Error::expired);
  SwitchOutput out;
  ASSERT_TRUE(sw.outbound(kNow, frame(mac_of(bob()), sw.mac()), out));
  EXPECT_TRUE(out.send.empty());
  EXPECT_EQ(out.present, std::vector<NodeId>{bob().address()});
}

TEST_F(AliceSwitch, UnicastWaitsForTheCredentialThenGoes) {
  const Bytes f1 = frame(mac_of(bob()), sw.mac(), 1);
  const Bytes f2 = frame(mac_of(bob()), sw.mac(), 2);
  SwitchOutput out;
  ASSERT_TRUE(sw.outbound(kNow, f1, out));
  ASSERT_TRUE(sw.outbound(kNow, f2, out));
  EXPECT_TRUE(out.send.empty());
  EXPECT_EQ(out.present.size(), 2U);
  // Our credential goes to Bob once now, again only after present_interval when asking.
  EXPECT_TRUE(sw.should_present(kNow, bob().address(), true));
  EXPECT_FALSE(sw.should_present(kNow + 500ms, bob().address(), true));
  EXPECT_TRUE(sw.should_present(kNow + 1s, bob().address(), true));
  EXPECT_FALSE(sw.should_present(kNow + 1100ms, bob().address(), true));
  // Bob restarted (a new session): he no longer has it, and is answered at once.
  sw.forget_presented(bob().address());
  EXPECT_TRUE(sw.should_present(kNow + 1200ms, bob().address(), true));
  const auto msg = wire::CredentialPresentation::parse(sw.presentation(true));
  ASSERT_TRUE(msg);
  EXPECT_TRUE(msg->want_reply);
  EXPECT_EQ(msg->credential, sw.config()->credential);

  std::vector<Bytes> released;
  ASSERT_TRUE(present(bob(), credential(bob(), kT), &released));
  ASSERT_EQ(released.size(), 2U);
  EXPECT_EQ(released[0], f1);
  EXPECT_EQ(released[1], f2);
  out = {};
  ASSERT_TRUE(sw.outbound(kNow, f1, out));
  EXPECT_EQ(out.send, std::vector<NodeId>{bob().address()});
  EXPECT_TRUE(out.present.empty());
}

TEST_F(AliceSwitch, OutboundRefusesForeignSourcesAndUnknownDestinations) {
  SwitchOutput out;
  EXPECT_EQ(sw.outbound(kNow, frame(mac_of(bob()), mac_of(bob())), out).error(),
            Error::permission_denied);
  // Not a MAC this network derives (a global unicast MAC), and our own.
  EXPECT_EQ(sw.outbound(kNow, frame(*Mac::parse("00:11:22:33:44:55"), sw.mac()), out).error(),
            Error::host_unreachable);
  EXPECT_EQ(sw.outbound(kNow, frame(sw.mac(), sw.mac()), out).error(), Error::host_unreachable);
  EXPECT_EQ(sw.outbound(kNow, Bytes(10), out).error(), Error::malformed);
  EXPECT_TRUE(out.send.empty());
  EXPECT_TRUE(out.present.empty());
}

TEST_F(AliceSwitch, BroadcastGoesToKnownMembersWithinTheFanout) {
  ListedOutput listed;
  sw.set_members(kNow, {bob().address(), mallory().address(), alice().address()}, listed);
  EXPECT_EQ(sw.known_members(), 2U);  // never ourselves
  ASSERT_TRUE(present(bob(), credential(bob(), kT)));
  SwitchOutput out;
  ASSERT_TRUE(sw.outbound(kNow, frame(Mac::broadcast(), sw.mac()), out));
  EXPECT_EQ(out.send, std::vector<NodeId>{bob().address()});
  EXPECT_EQ(out.present, std::vector<NodeId>{mallory().address()});
  // A multicast group (IPv6 solicited-node) is flooded the same way.
  out = {};
  ASSERT_TRUE(sw.outbound(kNow, frame(*Mac::parse("33:33:ff:00:00:01"), sw.mac()), out));
  EXPECT_EQ(out.send.size() + out.present.size(), 2U);

  NetworkSwitch small(network(), pub(alice()), SwitchLimits{.max_fanout = 1});
  ASSERT_TRUE(small.accept_config(config_for(alice(), 1, kT), pub(controller())));
  small.set_members(kNow, {bob().address(), mallory().address()}, listed);
  out = {};
  ASSERT_TRUE(small.outbound(kNow, frame(Mac::broadcast(), small.mac()), out));
  EXPECT_EQ(out.send.size() + out.present.size(), 1U);
  EXPECT_EQ(small.stats().fanout_limited, 1U);
}

// The application learns its address with the config, a controller round trip
// before the member list; its first broadcast (an ARP request) must still reach
// the members the list names, or it would retry only a second later.
TEST_F(AliceSwitch, BroadcastsBeforeTheFirstMemberListReachTheListedMembers) {
  ASSERT_TRUE(present(bob(), credential(bob(), kT)));  // known before the frame
  const Bytes stale = frame(Mac::broadcast(), sw.mac(), 0x10);
  const Bytes arp = frame(Mac::broadcast(), sw.mac(), 0x11);
  SwitchOutput out;
  ASSERT_TRUE(sw.outbound(kNow - 3s, stale, out));
  out = {};
  ASSERT_TRUE(sw.outbound(kNow, arp, out));
  EXPECT_EQ(out.send, std::vector<NodeId>{bob().address()});
  ASSERT_TRUE(present(mallory(), credential(mallory(), kT)));   // known after it
  const NodeId carol = NodeId::from_u64(0x0c0c0c0c0c).value();  // no credential yet

  ListedOutput listed;
  sw.set_members(kNow + 50ms, {bob().address(), mallory().address(), carol}, listed);
  // Mallory gets it now, Bob not again, Carol once her credential comes; the
  // stale frame (older than kUnlistedWait) goes to nobody.
  ASSERT_EQ(listed.send.size(), 1U);
  EXPECT_EQ(listed.send[0].first, mallory().address());
  EXPECT_EQ(listed.send[0].second, arp);
  EXPECT_EQ(listed.present, std::vector<NodeId>{carol});
  EXPECT_EQ(sw.peer_state(carol), NetworkSwitch::PeerState::pending);

  // Listed now: a broadcast is not kept, and a later list replays nothing.
  out = {};
  ASSERT_TRUE(sw.outbound(kNow + 100ms, frame(Mac::broadcast(), sw.mac(), 0x22), out));
  listed = {};
  sw.set_members(kNow + 200ms, {bob().address(), mallory().address()}, listed);
  EXPECT_TRUE(listed.send.empty());
  EXPECT_TRUE(listed.present.empty());
}

TEST(NetworkSwitch, QueuesAndTrackedPeersAreBounded) {
  NetworkSwitch sw(network(), pub(alice()), SwitchLimits{.max_peers = 2, .max_queued_per_peer = 3});
  ASSERT_TRUE(sw.accept_config(config_for(alice(), 1, kT), pub(controller())));
  SwitchOutput out;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(sw.outbound(kNow, frame(mac_of(bob()), sw.mac()), out));
  EXPECT_EQ(sw.stats().frames_queued, 3U);
  EXPECT_EQ(sw.stats().dropped_queue_full, 2U);
  // Three peers, room for two: the least recently used goes, with its queue.
  const auto node = [](std::uint64_t v) { return NodeId::from_u64(v).value(); };
  for (std::uint64_t v = 1; v <= 3; ++v)
    ASSERT_TRUE(sw.outbound(kNow + std::chrono::seconds(v),
                            frame(MemberMac::derive(network(), node(v)), sw.mac()), out));
  EXPECT_EQ(sw.tracked_peers(), 2U);
  EXPECT_EQ(sw.stats().peers_evicted, 2U);
  EXPECT_EQ(sw.peer_state(bob().address()), NetworkSwitch::PeerState::unknown);
  std::vector<Bytes> released;
  ASSERT_TRUE(sw.accept_credential(kNow + 10s, pub(bob()), credential(bob(), kT), released));
  EXPECT_TRUE(released.empty());
}

}  // namespace
}  // namespace weft::vnet
