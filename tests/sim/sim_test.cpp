// VL1 in the simulator: NAT traversal through a root's rendezvous, relay
// fallback, root loss, path failover, rekey under load, a hundred nodes, and
// determinism by seed.

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "sim/sim_world.hpp"

namespace weft::sim {
namespace {

Instant at(Duration d) { return Instant{} + d; }

bool direct(SimNode& a, SimNode& b, Instant now) {
  return a.node().route(now, b.address()).kind == node::Route::Kind::direct &&
         b.node().route(now, a.address()).kind == node::Route::Kind::direct;
}

std::size_t count_from(const SimNode& n, NodeId from) {
  std::size_t c = 0;
  for (const auto& f : n.received) c += f.from == from ? 1 : 0;
  return c;
}

class ConePairs : public ::testing::TestWithParam<std::tuple<NatType, NatType>> {};

TEST_P(ConePairs, ReachADirectPathThroughRendezvousWithinOneSecond) {
  const auto [nat_a, nat_b] = GetParam();
  SimWorld w(42);
  w.add_root(1);
  SimNode& a = w.add_node(nat_a);
  SimNode& b = w.add_node(nat_b);
  w.net.run_until(at(2s));
  ASSERT_TRUE(a.node().registered(w.net.now(), 0));
  ASSERT_TRUE(b.node().registered(w.net.now(), 0));

  const Instant start = w.net.now();
  const Bytes f = frame_bytes(a.address(), b.address(), 1);
  ASSERT_TRUE(a.send(b.address(), f));
  Instant reached = Instant::max();
  while (w.net.now() < start + 3s) {
    w.net.run_until(w.net.now() + 10ms);
    if (direct(a, b, w.net.now())) {
      reached = w.net.now();
      break;
    }
  }
  ASSERT_NE(reached, Instant::max()) << nat_name(nat_a) << " / " << nat_name(nat_b);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(reached - start).count();
  std::printf("direct path %s / %s: %lld ms\n", nat_name(nat_a), nat_name(nat_b),
              static_cast<long long>(ms));
  EXPECT_LE(reached - start, 1s);
  w.net.run_until(w.net.now() + 100ms);  // the frame may still be in flight
  ASSERT_EQ(b.received.size(), 1U);
  EXPECT_EQ(b.received[0].bytes, f);

  // Traffic keeps flowing on the direct path, both ways.
  for (std::uint32_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(a.send(b.address(), frame_bytes(a.address(), b.address(), 100 + i)));
    ASSERT_TRUE(b.send(a.address(), frame_bytes(b.address(), a.address(), 100 + i)));
    w.net.run_until(w.net.now() + 100ms);
  }
  w.net.run_until(w.net.now() + 1s);
  EXPECT_EQ(count_from(b, a.address()), 21U);
  EXPECT_EQ(count_from(a, b.address()), 20U);
  EXPECT_TRUE(direct(a, b, w.net.now()));
}

INSTANTIATE_TEST_SUITE_P(
    AllConeNats, ConePairs,
    ::testing::Combine(::testing::Values(NatType::full_cone, NatType::address_restricted,
                                         NatType::port_restricted),
                       ::testing::Values(NatType::full_cone, NatType::address_restricted,
                                         NatType::port_restricted)));

TEST(Sim, SymmetricNatsOnBothSidesFallBackToRelayAndKeepWorking) {
  SimWorld w(7);
  SimRoot& root = w.add_root(1);
  SimNode& a = w.add_node(NatType::symmetric);
  SimNode& b = w.add_node(NatType::symmetric);
  w.net.run_until(at(2s));
  std::uint32_t sent = 0;
  for (; sent < 100; ++sent) {
    ASSERT_TRUE(a.send(b.address(), frame_bytes(a.address(), b.address(), sent)));
    if (sent % 2 == 0) {
      ASSERT_TRUE(b.send(a.address(), frame_bytes(b.address(), a.address(), sent)));
    }
    w.net.run_until(w.net.now() + 300ms);
  }
  w.net.run_until(w.net.now() + 2s);
  EXPECT_EQ(a.node().route(w.net.now(), b.address()).kind, node::Route::Kind::relay);
  EXPECT_EQ(b.node().route(w.net.now(), a.address()).kind, node::Route::Kind::relay);
  EXPECT_EQ(count_from(b, a.address()), 100U);
  EXPECT_EQ(count_from(a, b.address()), 50U);
  EXPECT_GT(root.server().stats().relayed, 150U);
  EXPECT_EQ(root.server().stats().relay_unregistered_source, 0U);
}

TEST(Sim, ARootGoingDownLeavesDirectPathsAndLookupsUseTheOtherRoot) {
  SimWorld w(9);
  SimRoot& r1 = w.add_root(1);
  w.add_root(2);
  SimNode& a = w.add_node(NatType::port_restricted);
  SimNode& b = w.add_node(NatType::address_restricted);
  SimNode& c = w.add_node(NatType::full_cone);
  w.net.run_until(at(2s));
  ASSERT_TRUE(a.send(b.address(), frame_bytes(a.address(), b.address(), 0)));
  w.net.run_until(at(4s));
  ASSERT_TRUE(direct(a, b, w.net.now()));

  w.net.set_down(r1.local(), true);
  std::uint32_t i = 1;
  for (; i <= 120; ++i) {  // two minutes: past the root timeout and a rekey
    ASSERT_TRUE(a.send(b.address(), frame_bytes(a.address(), b.address(), i)));
    w.net.run_until(w.net.now() + 1s);
    ASSERT_TRUE(direct(a, b, w.net.now())) << "at " << i << " s";
  }
  EXPECT_EQ(count_from(b, a.address()), 121U);
  EXPECT_FALSE(a.node().registered(w.net.now(), 0));
  EXPECT_TRUE(a.node().registered(w.net.now(), 1));

  // A new peer is found through the root that is left.
  ASSERT_TRUE(a.send(c.address(), frame_bytes(a.address(), c.address(), 1)));
  w.net.run_until(w.net.now() + 2s);
  EXPECT_EQ(count_from(c, a.address()), 1U);
  EXPECT_TRUE(direct(a, c, w.net.now()));
}

TEST(Sim, APathDyingMovesTrafficToAnotherPath) {
  // Two nodes on one LAN behind one NAT: the LAN path and the hairpin path
  // through the NAT's public address both work; then the LAN path breaks.
  SimWorld w(11);
  w.add_root(1);
  const int nat = w.net.add_nat(NatType::full_cone, 120s);
  const auto lan = [&](std::uint8_t h) {
    return ep(10, static_cast<std::uint8_t>(nat), 0, h, 9993);
  };
  auto a =
      std::make_unique<SimNode>(w.net, identity(50), lan(2), w.root_entries(), 1, LinkConfig{1ms});
  auto b =
      std::make_unique<SimNode>(w.net, identity(51), lan(3), w.root_entries(), 2, LinkConfig{1ms});
  w.net.run_until(at(2s));
  ASSERT_TRUE(a->send(b->address(), frame_bytes(a->address(), b->address(), 0)));
  w.net.run_until(at(20s));
  const auto first = a->node().route(w.net.now(), b->address());
  ASSERT_EQ(first.kind, node::Route::Kind::direct);
  EXPECT_EQ(*first.endpoint, lan(3));

  w.net.block(lan(2), lan(3), true);
  std::uint32_t sent = 1;
  Instant moved = Instant::max();
  for (; sent <= 60; ++sent) {
    ASSERT_TRUE(a->send(b->address(), frame_bytes(a->address(), b->address(), sent)));
    w.net.run_until(w.net.now() + 1s);
    const auto r = a->node().route(w.net.now(), b->address());
    if (moved == Instant::max() && r.kind == node::Route::Kind::direct && *r.endpoint != lan(3))
      moved = w.net.now();
  }
  ASSERT_NE(moved, Instant::max());
  // Traffic on a silent path is probed after 1 s, suspect 1 s later.
  EXPECT_LE(moved - at(20s), 3s);
  const auto r = a->node().route(w.net.now(), b->address());
  EXPECT_EQ(r.kind, node::Route::Kind::direct);
  EXPECT_NE(*r.endpoint, lan(3));
  // Everything sent after the move arrived.
  std::size_t after = 0;
  for (const auto& f : b->received) {
    const std::uint32_t seq = load_be32(std::span<const std::byte, 4>(f.bytes.data(), 4));
    if (seq >= 1 && Instant{} + std::chrono::seconds(20 + seq) > moved) ++after;
  }
  std::size_t expected = 0;
  for (std::uint32_t s = 1; s <= 60; ++s)
    expected += Instant{} + std::chrono::seconds(20 + s) > moved ? 1 : 0;
  EXPECT_EQ(after, expected);
  std::printf("path moved %lld ms after the LAN broke\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(moved - at(20s)).count()));
}

TEST(Sim, RekeyUnderContinuousTrafficLosesNoPacket) {
  SimWorld w(13);
  w.add_root(1);
  SimNode& a = w.add_node(NatType::port_restricted);
  SimNode& b = w.add_node(NatType::full_cone);
  w.net.run_until(at(2s));
  std::uint32_t sent = 0;
  // 300 s at 20 frames a second both ways: two rekeys on time.
  for (; sent < 6000; ++sent) {
    ASSERT_TRUE(a.send(b.address(), frame_bytes(a.address(), b.address(), sent)));
    ASSERT_TRUE(b.send(a.address(), frame_bytes(b.address(), a.address(), sent)));
    w.net.run_until(w.net.now() + 50ms);
  }
  w.net.run_until(w.net.now() + 2s);
  EXPECT_EQ(count_from(b, a.address()), 6000U);
  EXPECT_EQ(count_from(a, b.address()), 6000U);
  EXPECT_GE(a.node().session_stats().handshakes_completed, 3U);
  EXPECT_EQ(a.node().session_stats().data_rejected, 0U);
  EXPECT_EQ(b.node().session_stats().data_rejected, 0U);
}

TEST(Sim, OnlyAFragmentedFramesFragmentsBeforeItsLastMayOvertake) {
  SimWorld w(17);
  w.add_root(1);
  SimNode& a = w.add_node(std::nullopt);
  SimNode& b = w.add_node(std::nullopt);
  ASSERT_TRUE(a.send(b.address(), frame_bytes(a.address(), b.address(), 0)));
  w.net.run_until(at(2s));
  ASSERT_TRUE(direct(a, b, w.net.now()));
  // At the default path MTU (1,400) a 3,000-byte frame is three fragments,
  // a 300-byte one a single data message.
  for (const auto& [size, leading] : {std::pair{3000U, 2U}, std::pair{300U, 0U}}) {
    const std::uint64_t in_turn = a.sent_in_turn;
    const std::uint64_t may_lead = a.sent_may_lead;
    // Straight to the node: SimNode::send would also run its timers.
    ASSERT_TRUE(a.node().send_frame(w.net.now(), b.address(),
                                    frame_bytes(a.address(), b.address(), size, size)));
    EXPECT_EQ(a.sent_may_lead - may_lead, leading) << size << " bytes";
    EXPECT_EQ(a.sent_in_turn - in_turn, 1U) << size << " bytes";
  }
  w.net.run_until(w.net.now() + 1s);
  EXPECT_EQ(count_from(b, a.address()), 3U);
}

TEST(Sim, AHundredNodesAllReachEachOther) {
  SimWorld w(17);
  w.add_root(1);
  const NatType kinds[] = {NatType::full_cone, NatType::address_restricted,
                           NatType::port_restricted};
  for (int i = 0; i < 100; ++i) {
    if (i % 4 == 3)
      w.add_node(std::nullopt);
    else
      w.add_node(kinds[i % 4]);
  }
  w.net.run_until(at(3s));
  for (auto& from : w.nodes) {
    for (auto& to : w.nodes) {
      if (from != to) {
        ASSERT_TRUE(from->send(to->address(), frame_bytes(from->address(), to->address(), 1)));
      }
    }
  }
  w.net.run_until(w.net.now() + 10s);
  std::uint64_t crossed = 0;
  for (auto& n : w.nodes) crossed += n->node().session_stats().initiations_crossed;
  std::printf(
      "100 nodes: %llu datagrams delivered, %llu address derivations, %llu crossed initiations\n",
      static_cast<unsigned long long>(w.net.delivered()),
      static_cast<unsigned long long>(shared_cache().derivations()),
      static_cast<unsigned long long>(crossed));
  for (auto& n : w.nodes) {
    EXPECT_EQ(n->received.size(), 99U);
    for (auto& to : w.nodes) {
      if (to != n) {
        EXPECT_EQ(n->node().route(w.net.now(), to->address()).kind, node::Route::Kind::direct);
      }
    }
  }
}

TEST(Sim, ReplayedAndForgedPacketsFromANewEndpointNeverMoveTraffic) {
  SimWorld w(21);
  w.add_root(1);
  SimNode& a = w.add_node(NatType::full_cone);
  SimNode& b = w.add_node(NatType::full_cone);
  w.net.run_until(at(2s));
  ASSERT_TRUE(a.send(b.address(), frame_bytes(a.address(), b.address(), 0)));
  w.net.run_until(at(4s));
  ASSERT_TRUE(direct(a, b, w.net.now()));
  const auto path = a.node().route(w.net.now(), b.address()).endpoint;

  // Capture a data datagram from B to A, then replay it and forge others from
  // an attacker's endpoint, to A's public endpoint (full cone: anyone reaches it).
  Bytes captured;
  wire::Endpoint a_public;
  w.net.observer = [&](const wire::Endpoint& from, const wire::Endpoint& to, ByteSpan d) {
    if (from == *path && to == a.local() && d.size() > 40 && d[1] == std::byte{4}) {
      captured.assign(d.begin(), d.end());
    }
  };
  ASSERT_TRUE(b.send(a.address(), frame_bytes(b.address(), a.address(), 1)));
  w.net.run_until(w.net.now() + 1s);
  w.net.observer = nullptr;
  ASSERT_FALSE(captured.empty());
  a_public = *b.node().route(w.net.now(), a.address()).endpoint;
  const wire::Endpoint attacker = ep(100, 64, 9, 9, 5555);
  w.net.attach(attacker, LinkConfig{}, [](Instant, const wire::Endpoint&, ByteSpan) {});
  const auto dropped_before = a.node().stats().datagrams_dropped;
  for (int i = 0; i < 50; ++i) {
    w.net.send(attacker, a_public, captured);  // replay
    Bytes forged = captured;
    forged[16 + static_cast<std::size_t>(i) % (forged.size() - 16)] ^= std::byte{1};  // tampered
    w.net.send(attacker, a_public, forged);
    w.net.run_until(w.net.now() + 100ms);
  }
  EXPECT_EQ(a.node().stats().datagrams_dropped - dropped_before, 100U);
  EXPECT_EQ(a.node().route(w.net.now(), b.address()).endpoint, path);
  EXPECT_EQ(count_from(a, b.address()), 1U);
}

std::uint64_t lossy_run(std::uint64_t seed) {
  SimWorld w(seed);
  w.add_root(1);
  const LinkConfig lossy{20ms, 15ms, 0.05, 2'000'000};
  SimNode& a = w.add_node(NatType::port_restricted, lossy);
  SimNode& b = w.add_node(NatType::address_restricted, lossy);
  SimNode& c = w.add_node(NatType::symmetric, lossy);
  w.net.run_until(at(2s));
  for (std::uint32_t i = 0; i < 200; ++i) {
    (void)a.send(b.address(), frame_bytes(a.address(), b.address(), i, 1200));
    (void)b.send(c.address(), frame_bytes(b.address(), c.address(), i, 3000));
    (void)c.send(a.address(), frame_bytes(c.address(), a.address(), i, 300));
    w.net.run_until(w.net.now() + 20ms);
  }
  w.net.run_until(w.net.now() + 5s);
  return w.net.trace_hash() ^ (w.net.delivered() << 1);
}

TEST(Sim, TheSameSeedGivesTheSameTrace) {
  const std::uint64_t h1 = lossy_run(99);
  const std::uint64_t h2 = lossy_run(99);
  const std::uint64_t h3 = lossy_run(100);
  EXPECT_EQ(h1, h2);
  EXPECT_NE(h1, h3);
}

}  // namespace
}  // namespace weft::sim
