// VL2 in the simulator: a controller hosted by a node, members that join
// networks, present credentials and switch Ethernet frames; non-members,
// deauthorization, address changes, a controller restart and two networks.

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "sim/sim_controller.hpp"
#include "sim/sim_world.hpp"
#include "unit/controller/controller_fixture.hpp"
#include "vnet/member_mac.hpp"
#include "wire/ethernet.hpp"

namespace weft::sim {
namespace {

using controller::testing::TempDir;

constexpr std::int64_t kEpochNs = 1'700'000'000'000'000'000;
constexpr std::uint16_t kEtherData = 0x88b5;  // IEEE local experimental
constexpr std::uint16_t kEtherArp = 0x0806;

using Ipv4 = ByteArray<4>;
Ipv4 ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return {std::byte{a}, std::byte{b}, std::byte{c}, std::byte{d}};
}

Bytes ethernet(Mac dst, Mac src, std::uint16_t type, ByteSpan payload) {
  Bytes b(14 + payload.size());
  wire::EthernetRepr{dst, src, std::nullopt, type}.emit(b);
  std::copy(payload.begin(), payload.end(), b.begin() + 14);
  return b;
}

// An ARP request (oper 1) or reply (oper 2) for IPv4 over Ethernet.
Bytes arp(std::uint16_t oper, Mac sha, const Ipv4& spa, Mac tha, const Ipv4& tpa) {
  Bytes p(28);
  store_be16(std::span<std::byte, 2>(p.data(), 2), 1);
  store_be16(std::span<std::byte, 2>(p.data() + 2, 2), 0x0800);
  p[4] = std::byte{6};
  p[5] = std::byte{4};
  store_be16(std::span<std::byte, 2>(p.data() + 6, 2), oper);
  sha.write(std::span<std::byte, 6>(p.data() + 8, 6));
  std::copy(spa.begin(), spa.end(), p.begin() + 14);
  tha.write(std::span<std::byte, 6>(p.data() + 18, 6));
  std::copy(tpa.begin(), tpa.end(), p.begin() + 24);
  const Mac dst = oper == 1 ? Mac::broadcast() : tha;
  return ethernet(dst, sha, kEtherArp, p);
}

struct World {
  explicit World(std::uint64_t seed) : net(seed) {
    root = std::make_unique<SimRoot>(net, identity(0), ep(100, 64, 0, 1, 9993), seed);
    ctl = std::make_unique<SimController>(identity(1).to_secret_string(), dir.db());
    ctl_node = std::make_unique<SimNode>(net, identity(1), ep(100, 64, 0, 2, 9993),
                                         std::vector{root->entry()}, seed + 1, LinkConfig{},
                                         [this](node::NodeConfig& c) {
                                           c.controller = ctl.get();
                                           c.sessions.timestamp_offset_ns = kEpochNs;
                                         });
  }

  [[nodiscard]] std::uint64_t now_ms() const {
    return static_cast<std::uint64_t>((kEpochNs + net.now().nanos()) / 1'000'000);
  }

  NetworkId create_network(const std::string& name, std::uint8_t subnet) {
    controller::NetworkSettings s;
    s.name = name;
    const std::uint32_t base = 0x0a000000U | (std::uint32_t{subnet} << 16U);
    s.ipv4_pools = {{base, base | 0xffU, 24}};
    auto n = ctl->controller().create_network(s, now_ms());
    WEFT_CHECK(n.ok());
    return n->id;
  }

  // Member i (identity i + 2) at a public address, or behind a NAT of its own.
  SimNode& add_member(std::optional<NatType> nat = std::nullopt) {
    const std::size_t i = members.size();
    wire::Endpoint local = ep(100, 64, static_cast<std::uint8_t>(1 + i / 200),
                              static_cast<std::uint8_t>(1 + i % 200), 9993);
    if (nat) local = ep(10, static_cast<std::uint8_t>(net.add_nat(*nat)), 0, 2, 9993);
    members.push_back(std::make_unique<SimNode>(net, identity(i + 2), local,
                                                std::vector{root->entry()}, 7000 + i));
    return *members.back();
  }

  void authorize(NetworkId id, const SimNode& m) {
    WEFT_CHECK(ctl->controller().authorize(id, m.address(), now_ms()).ok());
    ctl_node->wake();  // the admin API changed something: pushes go out from tick()
  }

  void run(Duration d) { net.run_until(net.now() + d); }

  SimNetwork net;
  TempDir dir;
  std::unique_ptr<SimRoot> root;
  std::unique_ptr<SimController> ctl;
  std::unique_ptr<SimNode> ctl_node;
  std::vector<std::unique_ptr<SimNode>> members;
};

Mac mac(NetworkId id, const SimNode& n) { return vnet::MemberMac::derive(id, n.address()); }

// A unicast data frame whose payload names sender, receiver and sequence.
Bytes data_frame(NetworkId id, const SimNode& from, const SimNode& to, std::uint32_t seq) {
  const Bytes payload = frame_bytes(from.address(), to.address(), seq, 64);
  return ethernet(mac(id, to), mac(id, from), kEtherData, payload);
}

std::size_t count_frames(const SimNode& n, NetworkId id, const Bytes& bytes) {
  std::size_t c = 0;
  for (const auto& f : n.network_frames) c += f.network == id && f.bytes == bytes ? 1 : 0;
  return c;
}

std::size_t count_events(const SimNode& n, node::NodeEvent::Kind kind) {
  std::size_t c = 0;
  for (const auto& e : n.events) c += e.kind == kind ? 1 : 0;
  return c;
}

bool ready(const SimNode& n, NetworkId id) {
  auto* sw = const_cast<SimNode&>(n).node().network(id);
  return sw != nullptr && sw->ready();
}

std::optional<Ipv4> first_ipv4(SimNode& n, NetworkId id) {
  auto* sw = n.node().network(id);
  if (!sw || !sw->ready() || sw->config()->ipv4.empty()) return std::nullopt;
  return sw->config()->ipv4[0].address;
}

// Answers ARP requests for the node's current IPv4 address, as its stack would.
// Returns how many replies it sent.
std::size_t answer_arp(SimNode& n, NetworkId id, std::size_t& seen) {
  std::size_t replies = 0;
  for (; seen < n.network_frames.size(); ++seen) {
    const Bytes f = n.network_frames[seen].bytes;
    auto eth = wire::EthernetView::parse(f);
    if (n.network_frames[seen].network != id || !eth || eth->ethertype() != kEtherArp ||
        eth->payload().size() < 28)
      continue;
    const ByteSpan p = eth->payload();
    if (load_be16(std::span<const std::byte, 2>(p.data() + 6, 2)) != 1) continue;
    const auto mine = first_ipv4(n, id);
    Ipv4 target{};
    std::copy_n(p.begin() + 24, 4, target.begin());
    if (!mine || *mine != target) continue;
    Ipv4 spa{};
    std::copy_n(p.begin() + 14, 4, spa.begin());
    const Mac sha = Mac::from_bytes(std::span<const std::byte, 6>(p.data() + 8, 6));
    EXPECT_TRUE(n.send_network(id, arp(2, mac(id, n), *mine, sha, spa)));
    ++replies;
  }
  return replies;
}

// ARP replies a node received for `ip`, from `owner`'s MAC.
std::size_t arp_replies(const SimNode& n, NetworkId id, const Ipv4& ip, Mac owner) {
  std::size_t c = 0;
  for (const auto& f : n.network_frames) {
    auto eth = wire::EthernetView::parse(f.bytes);
    if (f.network != id || !eth || eth->ethertype() != kEtherArp || eth->source() != owner)
      continue;
    const ByteSpan p = eth->payload();
    if (p.size() >= 28 && load_be16(std::span<const std::byte, 2>(p.data() + 6, 2)) == 2 &&
        std::equal(p.begin() + 14, p.begin() + 18, ip.begin()))
      ++c;
  }
  return c;
}

TEST(SimVl2, FiftyMembersGetConfigsAndEveryPairExchangesFrames) {
  constexpr std::size_t kMembers = 50;
  World w(31);
  const NetworkId id = w.create_network("fifty", 1);
  const NatType kinds[] = {NatType::full_cone, NatType::address_restricted,
                           NatType::port_restricted};
  for (std::size_t i = 0; i < kMembers; ++i) {
    SimNode& m = i % 4 == 3 ? w.add_member() : w.add_member(kinds[i % 4]);
    w.authorize(id, m);
  }
  w.run(2s);
  for (auto& m : w.members) ASSERT_TRUE(m->join(id));
  w.run(5s);
  std::set<Ipv4> addresses;
  for (auto& m : w.members) {
    ASSERT_TRUE(ready(*m, id));
    EXPECT_EQ(count_events(*m, node::NodeEvent::Kind::network_ready), 1U);
    EXPECT_EQ(count_events(*m, node::NodeEvent::Kind::address_assigned), 2U);  // IPv4 + ULA
    addresses.insert(*first_ipv4(*m, id));
  }
  EXPECT_EQ(addresses.size(), kMembers);

  // After one refresh every member's gathered list holds everyone.
  w.run(20s);
  for (auto& m : w.members) EXPECT_EQ(m->node().network(id)->known_members(), kMembers - 1);
  // One broadcast from each member reaches the 49 others (credentials are
  // exchanged on the way: each waits in its target's queue meanwhile).
  std::vector<Bytes> hello;
  for (auto& m : w.members) {
    hello.push_back(ethernet(Mac::broadcast(), mac(id, *m), kEtherData,
                             frame_bytes(m->address(), m->address(), 0, 60)));
    ASSERT_TRUE(m->send_network(id, hello.back()));
  }
  w.run(3s);
  for (std::size_t i = 0; i < kMembers; ++i) {
    for (std::size_t j = 0; j < kMembers; ++j) {
      if (i != j) {
        EXPECT_EQ(count_frames(*w.members[j], id, hello[i]), 1U);
      }
    }
  }
  // Then each asks for every other's address (ARP), and the owner answers.
  for (auto& m : w.members)
    for (auto& to : w.members)
      if (m != to) {
        ASSERT_TRUE(m->send_network(
            id, arp(1, mac(id, *m), *first_ipv4(*m, id), Mac{}, *first_ipv4(*to, id))));
      }
  std::vector<std::size_t> seen(kMembers, 0);
  for (int step = 0; step < 40; ++step) {
    w.run(50ms);
    for (std::size_t i = 0; i < kMembers; ++i) answer_arp(*w.members[i], id, seen[i]);
  }
  w.run(1s);
  for (auto& m : w.members) {
    for (auto& to : w.members) {
      if (m == to) continue;
      EXPECT_EQ(arp_replies(*m, id, *first_ipv4(*to, id), mac(id, *to)), 1U);
    }
  }

  // Every pair, unicast, byte for byte.
  for (auto& from : w.members)
    for (auto& to : w.members)
      if (from != to) {
        ASSERT_TRUE(from->send_network(id, data_frame(id, *from, *to, 1)));
      }
  w.run(3s);
  std::uint64_t dropped = 0;
  for (auto& to : w.members) {
    for (auto& from : w.members)
      if (from != to) {
        EXPECT_EQ(count_frames(*to, id, data_frame(id, *from, *to, 1)), 1U);
      }
    dropped += to->node().network(id)->stats().dropped_no_credential +
               to->node().network(id)->stats().dropped_spoofed_source;
  }
  EXPECT_EQ(dropped, 0U);
  std::printf("50 members: %llu datagrams delivered\n",
              static_cast<unsigned long long>(w.net.delivered()));
}

TEST(SimVl2, ANonMemberCanNeitherReceiveNorInjectFrames) {
  World w(32);
  const NetworkId id = w.create_network("private", 1);
  SimNode& a = w.add_member(NatType::full_cone);
  SimNode& b = w.add_member();
  SimNode& mallory = w.add_member(NatType::port_restricted);  // valid identity, never authorized
  w.authorize(id, a);
  w.authorize(id, b);
  w.run(2s);
  for (SimNode* m : {&a, &b, &mallory}) ASSERT_TRUE(m->join(id));
  w.run(25s);
  ASSERT_TRUE(ready(a, id));
  ASSERT_TRUE(ready(b, id));
  EXPECT_FALSE(ready(mallory, id));
  EXPECT_EQ(count_events(mallory, node::NodeEvent::Kind::network_denied), 1U);
  EXPECT_EQ(mallory.send_network(id, data_frame(id, mallory, a, 1)).error(), Error::invalid_state);

  // Members broadcast and even address Mallory's MAC directly: nothing reaches her.
  ASSERT_TRUE(a.send_network(id, ethernet(Mac::broadcast(), mac(id, a), kEtherData, Bytes(50))));
  ASSERT_TRUE(a.send_network(id, data_frame(id, a, mallory, 1)));
  ASSERT_TRUE(b.send_network(id, data_frame(id, b, mallory, 1)));
  w.run(5s);
  EXPECT_TRUE(mallory.network_frames.empty());
  EXPECT_EQ(count_frames(b, id, ethernet(Mac::broadcast(), mac(id, a), kEtherData, Bytes(50))), 1U);
  EXPECT_NE(a.node().network(id)->peer_state(mallory.address()),
            vnet::NetworkSwitch::PeerState::valid);

  // She injects frames by hand, with her own MAC and with Bob's, and presents
  // Bob's credential (as if she had captured it) under her own keys.
  const auto before = a.node().network(id)->stats();
  const wire::CredentialPresentation stolen{false, b.node().network(id)->config()->credential};
  ASSERT_TRUE(mallory.send(a.address(), wire::emit_bytes(stolen)));
  for (std::uint32_t i = 0; i < 10; ++i) {
    const Bytes own = data_frame(id, mallory, a, i);
    const Bytes spoofed = ethernet(mac(id, a), mac(id, b), kEtherData, Bytes(40));
    ASSERT_TRUE(mallory.send(a.address(), wire::emit_bytes(wire::NetworkFrame{id, own})));
    ASSERT_TRUE(mallory.send(a.address(), wire::emit_bytes(wire::NetworkFrame{id, spoofed})));
  }
  w.run(3s);
  const auto& after = a.node().network(id)->stats();
  EXPECT_EQ(after.credentials_rejected - before.credentials_rejected, 1U);
  EXPECT_EQ(after.dropped_no_credential - before.dropped_no_credential, 20U);
  EXPECT_TRUE(a.network_frames.empty());  // B sent A nothing; Mallory's frames never arrived

  // Nor can she speak for the controller: a refusal (unsigned, so only the
  // controller's session may carry it) and a revocation of B she signed herself.
  const auto ignored = a.node().stats().vl2_ignored;
  ASSERT_TRUE(mallory.send(
      a.address(), wire::emit_bytes(wire::ConfigRefusal{id, wire::RefusalReason::not_authorized})));
  wire::RevocationMessage revoke{id, b.address(), w.now_ms()};
  revoke.signature = identity(4).sign(revoke.signing_input());
  ASSERT_TRUE(mallory.send(a.address(), wire::emit_bytes(revoke)));
  w.run(1s);
  EXPECT_EQ(a.node().stats().vl2_ignored - ignored, 2U);
  EXPECT_TRUE(ready(a, id));
  EXPECT_EQ(a.node().network(id)->peer_state(b.address()), vnet::NetworkSwitch::PeerState::valid);
}

TEST(SimVl2, ADeauthorizedMemberIsCutOffWithinFiveSeconds) {
  World w(33);
  const NetworkId id = w.create_network("cut", 1);
  for (int i = 0; i < 4; ++i) w.authorize(id, w.add_member(NatType::full_cone));
  w.run(2s);
  for (auto& m : w.members) ASSERT_TRUE(m->join(id));
  w.run(25s);
  SimNode& x = *w.members[0];
  for (auto& m : w.members) ASSERT_TRUE(ready(*m, id));

  // Everyone sends to everyone every 100 ms; X is deauthorized at `cut`.
  Instant cut = Instant::max();
  std::uint32_t seq = 0;
  auto last_x_traffic = Instant{};
  Instant cut_off = Instant::max();  // every member rejects X and X dropped the network
  std::vector<std::size_t> counts(w.members.size(), 0);
  for (; seq < 200; ++seq) {
    if (seq == 50) {
      cut = w.net.now();
      ASSERT_TRUE(w.ctl->controller().deauthorize(id, x.address(), w.now_ms()));
      w.ctl_node->wake();
    }
    for (auto& from : w.members)
      for (auto& to : w.members)
        if (from != to) (void)from->send_network(id, data_frame(id, *from, *to, seq));
    for (int tenth = 0; tenth < 10; ++tenth) {
      w.run(10ms);
      // Any frame from X delivered to another member, or to X from another, since the last look?
      bool moved = x.network_frames.size() != counts[0];
      counts[0] = x.network_frames.size();
      for (std::size_t i = 1; i < w.members.size(); ++i) {
        for (std::size_t k = counts[i]; k < w.members[i]->network_frames.size(); ++k) {
          auto eth = wire::EthernetView::parse(w.members[i]->network_frames[k].bytes);
          if (eth && eth->source() == mac(id, x)) moved = true;
        }
        counts[i] = w.members[i]->network_frames.size();
      }
      if (moved) last_x_traffic = w.net.now();
      bool isolated = cut != Instant::max() && !ready(x, id);
      for (std::size_t i = 1; i < w.members.size(); ++i)
        isolated = isolated && w.members[i]->node().network(id)->peer_state(x.address()) ==
                                   vnet::NetworkSwitch::PeerState::rejected;
      if (isolated && cut_off == Instant::max()) cut_off = w.net.now();
    }
  }
  ASSERT_NE(cut, Instant::max());
  ASSERT_NE(cut_off, Instant::max());
  const auto ms = [](Duration d) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  std::printf(
      "deauthorized member cut off %lld ms after the admin's call (sampled every 10 ms; "
      "one-way latency 20 ms); its last frame moved %lld ms before the call\n",
      ms(cut_off - cut), ms(cut - last_x_traffic));
  EXPECT_GE(last_x_traffic, cut - 100ms);  // traffic flowed up to the cut
  EXPECT_LE(cut_off - cut, 5s);
  EXPECT_LE(last_x_traffic, cut_off);
  EXPECT_FALSE(ready(x, id));
  EXPECT_EQ(count_events(x, node::NodeEvent::Kind::network_denied), 1U);
  EXPECT_EQ(count_events(x, node::NodeEvent::Kind::address_removed), 2U);
  // The others kept talking among themselves.
  for (std::size_t i = 1; i < w.members.size(); ++i)
    for (std::size_t j = 1; j < w.members.size(); ++j)
      if (i != j) {
        EXPECT_EQ(
            count_frames(*w.members[j], id, data_frame(id, *w.members[i], *w.members[j], seq - 1)),
            1U);
      }
}

TEST(SimVl2, AMembersAddressChangeReachesEveryone) {
  World w(34);
  const NetworkId id = w.create_network("move", 1);
  for (int i = 0; i < 5; ++i)
    w.authorize(id, w.add_member(i % 2 ? NatType::full_cone : NatType::port_restricted));
  w.run(2s);
  for (auto& m : w.members) ASSERT_TRUE(m->join(id));
  w.run(25s);
  SimNode& x = *w.members[2];
  const Ipv4 old = *first_ipv4(x, id);
  const Ipv4 moved = ipv4(10, 1, 0, 200);
  ASSERT_NE(old, moved);
  ASSERT_TRUE(w.ctl->controller().update_member(
      id, x.address(), {.ipv4 = std::vector<wire::Ipv4Assignment>{{moved, 24}}}, w.now_ms()));
  w.ctl_node->wake();
  w.run(1s);
  ASSERT_EQ(*first_ipv4(x, id), moved);
  ASSERT_FALSE(x.events.empty());
  EXPECT_EQ(x.events.back().kind, node::NodeEvent::Kind::address_assigned);
  EXPECT_EQ(count_events(x, node::NodeEvent::Kind::address_removed), 1U);

  // Everyone asks who has the new address and who has the old one: only the
  // new one is answered, by X.
  for (auto& m : w.members) {
    if (m.get() == &x) continue;
    ASSERT_TRUE(m->send_network(id, arp(1, mac(id, *m), *first_ipv4(*m, id), Mac{}, moved)));
    ASSERT_TRUE(m->send_network(id, arp(1, mac(id, *m), *first_ipv4(*m, id), Mac{}, old)));
  }
  std::vector<std::size_t> seen;
  for (auto& m : w.members) seen.push_back(m->network_frames.size());
  std::size_t replies = 0;
  for (int step = 0; step < 20; ++step) {
    w.run(50ms);
    for (std::size_t i = 0; i < w.members.size(); ++i)
      replies += answer_arp(*w.members[i], id, seen[i]);
  }
  EXPECT_EQ(replies, 4U);
  for (auto& m : w.members) {
    if (m.get() == &x) continue;
    EXPECT_EQ(arp_replies(*m, id, moved, mac(id, x)), 1U);
    EXPECT_EQ(arp_replies(*m, id, old, mac(id, x)), 0U);
  }
}

TEST(SimVl2, AControllerRestartLosesNothing) {
  World w(35);
  const NetworkId id = w.create_network("restart", 1);
  for (int i = 0; i < 4; ++i) w.authorize(id, w.add_member(NatType::address_restricted));
  w.run(2s);
  for (auto& m : w.members) ASSERT_TRUE(m->join(id));
  w.run(5s);
  SimNode& gone = *w.members[3];
  ASSERT_TRUE(w.ctl->controller().deauthorize(id, gone.address(), w.now_ms()));
  w.ctl_node->wake();
  w.run(2s);
  std::vector<wire::NetworkConfig> before;
  for (int i = 0; i < 3; ++i) before.push_back(*w.members[i]->node().network(id)->config());

  w.ctl->restart();
  w.run(65s);  // past three refreshes and the deauthorized member's retries
  for (int i = 0; i < 3; ++i) {
    const auto& now = *w.members[i]->node().network(id)->config();
    EXPECT_EQ(now.ipv4, before[i].ipv4);
    EXPECT_EQ(now.ipv6, before[i].ipv6);
    EXPECT_EQ(now.name, before[i].name);
    EXPECT_GT(now.issued_ms, before[i].issued_ms);  // refreshed by the restarted controller
    EXPECT_EQ(count_events(*w.members[i], node::NodeEvent::Kind::network_ready), 1U);
    EXPECT_EQ(count_events(*w.members[i], node::NodeEvent::Kind::network_denied), 0U);
  }
  EXPECT_FALSE(ready(gone, id));
  EXPECT_EQ(count_events(gone, node::NodeEvent::Kind::network_denied), 1U);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      if (i != j) {
        ASSERT_TRUE(
            w.members[i]->send_network(id, data_frame(id, *w.members[i], *w.members[j], 7)));
      }
  w.run(2s);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      if (i != j) {
        EXPECT_EQ(count_frames(*w.members[j], id, data_frame(id, *w.members[i], *w.members[j], 7)),
                  1U);
      }
  // The restarted controller learned who is online again: a deauthorization
  // is still pushed at once.
  SimNode& next = *w.members[2];
  ASSERT_TRUE(w.ctl->controller().deauthorize(id, next.address(), w.now_ms()));
  w.ctl_node->wake();
  w.run(1s);
  EXPECT_FALSE(ready(next, id));
  EXPECT_EQ(w.members[0]->node().network(id)->peer_state(next.address()),
            vnet::NetworkSwitch::PeerState::rejected);
}

// A network frame as large as Node::largest_unfragmented_network_frame crosses
// as one datagram, one byte more as fragments (runtime::NetworkPort keeps the
// stack's TCP segments to the first).
TEST(SimVl2, TheLargestUnfragmentedFrameTakesOneDatagram) {
  World w(34);
  const NetworkId id = w.create_network("sizes", 1);
  SimNode& a = w.add_member();
  SimNode& b = w.add_member();
  w.authorize(id, a);
  w.authorize(id, b);
  w.run(2s);
  ASSERT_TRUE(a.join(id));
  ASSERT_TRUE(b.join(id));
  w.run(5s);
  ASSERT_TRUE(ready(a, id));
  ASSERT_TRUE(ready(b, id));
  ASSERT_TRUE(a.send_network(id, data_frame(id, a, b, 1)));  // credentials exchanged
  w.run(1s);
  ASSERT_EQ(count_frames(b, id, data_frame(id, a, b, 1)), 1U);

  const std::size_t largest = a.node().largest_unfragmented_network_frame();
  // The default path MTU (1,400) less the data message's header and tag (32),
  // the frame's type byte and the network frame's header (9).
  EXPECT_EQ(largest, 1400U - 32U - 1U - 9U);
  std::size_t largest_datagram = 0;
  w.net.observer = [&](const wire::Endpoint&, const wire::Endpoint&, ByteSpan d) {
    largest_datagram = std::max(largest_datagram, d.size());
  };
  for (const std::size_t size : {largest, largest + 1}) {
    const Bytes frame = ethernet(mac(id, b), mac(id, a), kEtherData,
                                 Bytes(size - 14, std::byte{static_cast<std::uint8_t>(size)}));
    const std::uint64_t reassembled = b.node().reassembly_stats().completed;
    ASSERT_TRUE(a.send_network(id, frame));
    w.run(200ms);
    EXPECT_EQ(count_frames(b, id, frame), 1U);
    EXPECT_EQ(b.node().reassembly_stats().completed - reassembled, size == largest ? 0U : 1U)
        << "frame of " << size << " bytes";
  }
  EXPECT_EQ(largest_datagram, 1400U) << "no datagram over the path MTU";
  w.net.observer = nullptr;
}

TEST(SimVl2, AMemberOfTwoNetworksKeepsThemApart) {
  World w(36);
  const NetworkId red = w.create_network("red", 1);
  const NetworkId blue = w.create_network("blue", 2);
  SimNode& both = w.add_member(NatType::full_cone);
  SimNode& r = w.add_member();
  SimNode& b = w.add_member(NatType::port_restricted);
  w.authorize(red, both);
  w.authorize(blue, both);
  w.authorize(red, r);
  w.authorize(blue, b);
  w.run(2s);
  ASSERT_TRUE(both.join(red));
  ASSERT_TRUE(both.join(blue));
  ASSERT_TRUE(r.join(red));
  ASSERT_TRUE(b.join(blue));
  ASSERT_TRUE(r.join(blue));  // refused: not a member there
  w.run(25s);
  ASSERT_TRUE(ready(both, red) && ready(both, blue) && ready(r, red) && ready(b, blue));
  EXPECT_FALSE(ready(r, blue));
  EXPECT_NE(mac(red, both), mac(blue, both));

  // Broadcasts stay on their network.
  const Bytes red_bcast = ethernet(Mac::broadcast(), mac(red, r), kEtherData, Bytes(30));
  const Bytes blue_bcast = ethernet(Mac::broadcast(), mac(blue, b), kEtherData, Bytes(31));
  ASSERT_TRUE(r.send_network(red, red_bcast));
  ASSERT_TRUE(b.send_network(blue, blue_bcast));
  // The member of both addresses R on blue (R's MAC there): R is no member of blue.
  ASSERT_TRUE(
      both.send_network(blue, ethernet(mac(blue, r), mac(blue, both), kEtherData, Bytes(32))));
  // B injects a frame into red by hand, presenting its blue credential first.
  const wire::CredentialPresentation blue_cred{false, b.node().network(blue)->config()->credential};
  ASSERT_TRUE(b.send(both.address(), wire::emit_bytes(blue_cred)));
  ASSERT_TRUE(b.send(both.address(),
                     wire::emit_bytes(wire::NetworkFrame{
                         red, ethernet(mac(red, both), mac(red, b), kEtherData, Bytes(33))})));
  w.run(3s);
  ASSERT_EQ(both.network_frames.size(), 2U);
  EXPECT_EQ(count_frames(both, red, red_bcast), 1U);
  EXPECT_EQ(count_frames(both, blue, blue_bcast), 1U);
  EXPECT_TRUE(r.network_frames.empty());
  EXPECT_TRUE(b.network_frames.empty());
  EXPECT_EQ(both.node().network(red)->stats().dropped_no_credential, 1U);
}

}  // namespace
}  // namespace weft::sim
