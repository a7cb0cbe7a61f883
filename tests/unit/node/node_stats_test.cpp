// Node::peer_stats() and the node's totals, on the simulator: its clock and
// links are exact, so counts, sizes, times and round trips are asserted to the
// byte and the nanosecond.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <numeric>
#include <vector>

#include "sim/sim_world.hpp"
#include "wire/data.hpp"
#include "wire/frame.hpp"
#include "wire/relay.hpp"

namespace weft::sim {
namespace {

Instant at(Duration d) { return Instant{} + d; }

// What `n` reports about `peer`.
node::PeerStats of(SimNode& n, NodeId peer, Instant now) {
  for (const auto& s : n.node().peer_stats(now))
    if (s.peer == peer) return s;
  ADD_FAILURE() << "no statistics for the peer";
  return node::PeerStats(peer);
}

// A raw-channel frame of `size` bytes whose first byte keeps it out of VL2's range.
Bytes frame(std::size_t size, std::uint32_t seq) {
  Bytes b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::byte>((seq * 13 + i) & 0xff);
  b[0] = std::byte{0x01};
  return b;
}

// The UDP payload that carries a frame of `size` bytes in one data message.
std::size_t wire_len(std::size_t size) {
  return wire::DataHeader::message_len(wire::FrameHeader::buffer_len() + size);
}

// Every datagram a node sent or accepted is some peer's, unless the session
// layer refused it (nothing here provokes a cookie reply, the only other kind).
void expect_totals_add_up(SimNode& n, Instant now) {
  node::TrafficCounters sum;
  for (const auto& s : n.node().peer_stats(now)) {
    sum.datagrams_sent += s.traffic.datagrams_sent;
    sum.bytes_sent += s.traffic.bytes_sent;
    sum.datagrams_received += s.traffic.datagrams_received;
    sum.bytes_received += s.traffic.bytes_received;
  }
  const node::NodeStats& t = n.node().stats();
  EXPECT_EQ(sum.datagrams_sent, t.datagrams_sent);
  EXPECT_EQ(sum.bytes_sent, t.bytes_sent);
  EXPECT_EQ(sum.datagrams_received + t.datagrams_dropped + t.relay_malformed, t.datagrams_received);
  EXPECT_GT(t.datagrams_sent, 0U);
}

constexpr std::size_t kSizes[] = {1, 60, 500, 1300};  // each fits one data message

// No keepalive probe of a live path within the tests' windows.
void rare_probes(node::NodeConfig& c) { c.paths.probe_interval = 60s; }

TEST(NodeStats, FramesAndDatagramsOnADirectPathAreCountedExactlyOnBothSides) {
  SimWorld w(31, 7000);
  SimRoot& root = w.add_root(1);
  SimNode& a = w.add_node(std::nullopt, {}, rare_probes);
  SimNode& b = w.add_node(std::nullopt, {}, rare_probes);
  w.net.run_until(at(2s));
  ASSERT_TRUE(a.send(b.address(), frame(10, 0)));
  w.net.run_until(at(4s));
  ASSERT_EQ(a.node().route(w.net.now(), b.address()).kind, node::Route::Kind::direct);
  // Traffic on a path silent for a second makes the sender probe it at once:
  // B speaks first, so A's window below is frames only.
  ASSERT_TRUE(b.send(a.address(), frame(10, 0)));
  w.net.run_until(w.net.now() + 200ms);

  const node::PeerStats a0 = of(a, b.address(), w.net.now());
  const node::PeerStats b0 = of(b, a.address(), w.net.now());
  EXPECT_TRUE(a0.session);
  EXPECT_FALSE(a0.root);
  EXPECT_FALSE(a0.looking_up);
  EXPECT_EQ(a0.traffic.frames_sent, 1U);
  EXPECT_EQ(a0.traffic.frame_bytes_sent, 10U);
  EXPECT_EQ(b0.traffic.frames_received, 1U);
  EXPECT_EQ(b0.traffic.frame_bytes_received, 10U);

  std::uint64_t seen = 0;
  std::uint64_t seen_bytes = 0;
  w.net.observer = [&](const wire::Endpoint& from, const wire::Endpoint& to, ByteSpan d) {
    if (from == a.local() && to == b.local()) {
      ++seen;
      seen_bytes += d.size();
    }
  };
  constexpr std::uint32_t kFrames = 40;
  const std::size_t received_before = b.received.size();
  const Instant sent_at = w.net.now();
  std::uint64_t payload = 0;
  std::uint64_t on_wire = 0;
  for (std::uint32_t i = 0; i < kFrames; ++i) {
    const std::size_t size = kSizes[i % 4];
    ASSERT_TRUE(a.send(b.address(), frame(size, i)));
    payload += size;
    on_wire += wire_len(size);
  }
  // 20 ms one way; well before anything would probe the path.
  w.net.run_until(w.net.now() + 200ms);
  w.net.observer = nullptr;

  const node::PeerStats a1 = of(a, b.address(), w.net.now());
  const node::PeerStats b1 = of(b, a.address(), w.net.now());
  EXPECT_EQ(a1.traffic.frames_sent - a0.traffic.frames_sent, kFrames);
  EXPECT_EQ(a1.traffic.frame_bytes_sent - a0.traffic.frame_bytes_sent, payload);
  EXPECT_EQ(a1.traffic.datagrams_sent - a0.traffic.datagrams_sent, kFrames);
  EXPECT_EQ(a1.traffic.bytes_sent - a0.traffic.bytes_sent, on_wire);
  EXPECT_EQ(seen, kFrames);
  EXPECT_EQ(seen_bytes, on_wire);
  EXPECT_EQ(b1.traffic.frames_received - b0.traffic.frames_received, kFrames);
  EXPECT_EQ(b1.traffic.frame_bytes_received - b0.traffic.frame_bytes_received, payload);
  EXPECT_EQ(b1.traffic.datagrams_received - b0.traffic.datagrams_received, kFrames);
  EXPECT_EQ(b1.traffic.bytes_received - b0.traffic.bytes_received, on_wire);
  // Nothing went the other way, and the last arrival is when the link delivered it.
  EXPECT_EQ(a1.traffic.datagrams_received, a0.traffic.datagrams_received);
  EXPECT_EQ(b1.traffic.datagrams_sent, b0.traffic.datagrams_sent);
  EXPECT_EQ(b1.last_received, sent_at + 20ms);
  ASSERT_EQ(b.received.size(), received_before + kFrames);
  for (std::uint32_t i = 0; i < kFrames; ++i)
    EXPECT_EQ(b.received[received_before + i].bytes, frame(kSizes[i % 4], i));

  // The root is listed too, with only its own session's traffic.
  const node::PeerStats r = of(a, w.roots[0]->entry().identity.address(), w.net.now());
  EXPECT_TRUE(r.root);
  EXPECT_TRUE(r.session);
  EXPECT_EQ(r.route.kind, node::Route::Kind::direct);
  EXPECT_EQ(r.route.endpoint, root.local());
  EXPECT_GT(r.traffic.datagrams_sent, 0U);
  EXPECT_EQ(r.traffic.frames_sent, 0U);
  expect_totals_add_up(a, w.net.now());
  expect_totals_add_up(b, w.net.now());
}

TEST(NodeStats, AFragmentedFrameIsOneFrameAndEveryFragmentsDatagram) {
  SimWorld w(32, 7000);
  w.add_root(1);
  SimNode& a = w.add_node(std::nullopt, {}, rare_probes);
  SimNode& b = w.add_node(std::nullopt, {}, rare_probes);
  w.net.run_until(at(2s));
  ASSERT_TRUE(a.send(b.address(), frame(10, 0)));
  w.net.run_until(at(4s));
  ASSERT_TRUE(b.send(a.address(), frame(10, 0)));  // as above: no probe in the window
  w.net.run_until(w.net.now() + 200ms);
  const node::PeerStats a0 = of(a, b.address(), w.net.now());
  const node::PeerStats b0 = of(b, a.address(), w.net.now());

  std::uint64_t seen = 0;
  std::uint64_t seen_bytes = 0;
  w.net.observer = [&](const wire::Endpoint& from, const wire::Endpoint& to, ByteSpan d) {
    if (from == a.local() && to == b.local()) {
      ++seen;
      seen_bytes += d.size();
    }
  };
  const Bytes big = frame(5000, 1);
  ASSERT_TRUE(a.send(b.address(), big));
  w.net.run_until(w.net.now() + 200ms);
  w.net.observer = nullptr;
  ASSERT_EQ(b.received.back().bytes, big);

  const node::PeerStats a1 = of(a, b.address(), w.net.now());
  const node::PeerStats b1 = of(b, a.address(), w.net.now());
  EXPECT_GE(seen, 4U);  // 1400-byte datagrams
  EXPECT_EQ(a1.traffic.frames_sent - a0.traffic.frames_sent, 1U);
  EXPECT_EQ(a1.traffic.frame_bytes_sent - a0.traffic.frame_bytes_sent, 5000U);
  EXPECT_EQ(a1.traffic.datagrams_sent - a0.traffic.datagrams_sent, seen);
  EXPECT_EQ(a1.traffic.bytes_sent - a0.traffic.bytes_sent, seen_bytes);
  EXPECT_EQ(b1.traffic.frames_received - b0.traffic.frames_received, 1U);
  EXPECT_EQ(b1.traffic.frame_bytes_received - b0.traffic.frame_bytes_received, 5000U);
  EXPECT_EQ(b1.traffic.datagrams_received - b0.traffic.datagrams_received, seen);
  EXPECT_EQ(b1.traffic.bytes_received - b0.traffic.bytes_received, seen_bytes);
  EXPECT_EQ(b.node().reassembly_stats().completed, 1U);
}

TEST(NodeStats, RelayedTrafficCountsForThePeerWithTheRelayHeaderAndNamesTheRoot) {
  SimWorld w(33, 7000);
  SimRoot& root = w.add_root(1);
  SimNode& a = w.add_node(NatType::symmetric);
  SimNode& b = w.add_node(NatType::symmetric);
  w.net.run_until(at(2s));
  ASSERT_TRUE(a.send(b.address(), frame(10, 0)));
  ASSERT_TRUE(b.send(a.address(), frame(10, 0)));
  w.net.run_until(at(8s));

  const node::PeerStats a0 = of(a, b.address(), w.net.now());
  const node::PeerStats b0 = of(b, a.address(), w.net.now());
  for (const auto* s : {&a0, &b0}) {
    EXPECT_EQ(s->route.kind, node::Route::Kind::relay);
    EXPECT_EQ(s->route.endpoint, root.local());
    EXPECT_FALSE(s->latency.has_value());  // probes measure direct paths only
    EXPECT_TRUE(s->session);
  }
  const auto relayed_before = root.server().stats().relayed;

  constexpr std::uint32_t kFrames = 20;
  std::uint64_t payload = 0;
  std::uint64_t on_wire = 0;
  for (std::uint32_t i = 0; i < kFrames; ++i) {
    const std::size_t size = kSizes[i % 4];
    ASSERT_TRUE(a.send(b.address(), frame(size, i)));
    payload += size;
    on_wire += wire::RelayHeader::buffer_len() + wire_len(size);
  }
  w.net.run_until(w.net.now() + 200ms);

  const node::PeerStats a1 = of(a, b.address(), w.net.now());
  const node::PeerStats b1 = of(b, a.address(), w.net.now());
  EXPECT_EQ(root.server().stats().relayed - relayed_before, kFrames);
  EXPECT_EQ(a1.traffic.frames_sent - a0.traffic.frames_sent, kFrames);
  EXPECT_EQ(a1.traffic.frame_bytes_sent - a0.traffic.frame_bytes_sent, payload);
  // The sender may also have probed B's candidates (lost in the NATs): at least these.
  EXPECT_GE(a1.traffic.datagrams_sent - a0.traffic.datagrams_sent, kFrames);
  EXPECT_EQ(b1.traffic.frames_received - b0.traffic.frames_received, kFrames);
  EXPECT_EQ(b1.traffic.frame_bytes_received - b0.traffic.frame_bytes_received, payload);
  EXPECT_EQ(b1.traffic.datagrams_received - b0.traffic.datagrams_received, kFrames);
  EXPECT_EQ(b1.traffic.bytes_received - b0.traffic.bytes_received, on_wire);
  expect_totals_add_up(a, w.net.now());
  expect_totals_add_up(b, w.net.now());
}

TEST(NodeStats, LatencyIsTheSimulatedRoundTripOfProbesAndRegistrations) {
  SimWorld w(34, 7000);
  w.add_root(1);  // 10 ms its side
  SimNode& a = w.add_node(std::nullopt, LinkConfig{10ms});
  SimNode& b = w.add_node(std::nullopt, LinkConfig{25ms});
  const NodeId root = w.roots[0]->entry().identity.address();
  w.net.run_until(at(2s));
  // The first registration waited for the handshake: not a round trip.
  EXPECT_FALSE(of(a, root, w.net.now()).latency.has_value());
  ASSERT_TRUE(a.send(b.address(), frame(10, 0)));
  w.net.run_until(at(3s));
  ASSERT_EQ(a.node().route(w.net.now(), b.address()).kind, node::Route::Kind::direct);

  // Live paths are probed every 5 s; registrations renewed every 20 s.
  w.net.run_until(at(30s));
  const node::PeerStats ab = of(a, b.address(), w.net.now());
  const node::PeerStats ba = of(b, a.address(), w.net.now());
  EXPECT_EQ(ab.latency, 70ms);  // 2 x (10 + 25)
  EXPECT_EQ(ab.last_latency, 70ms);
  EXPECT_EQ(ba.latency, 70ms);
  EXPECT_EQ(ab.paths, 1U);
  EXPECT_EQ(of(a, root, w.net.now()).latency, 40ms);  // 2 x (10 + 10)
  EXPECT_EQ(of(a, root, w.net.now()).last_latency, 40ms);
  EXPECT_EQ(of(b, root, w.net.now()).latency, 70ms);  // 2 x (25 + 10)
}

TEST(NodeStats, RefusedDatagramsAreDropsByReasonAndNoPeersTraffic) {
  SimWorld w(35, 7000);
  w.add_root(1);
  SimNode& a = w.add_node(std::nullopt);
  SimNode& b = w.add_node(std::nullopt);
  w.net.run_until(at(2s));
  ASSERT_TRUE(a.send(b.address(), frame(10, 0)));
  w.net.run_until(at(4s));

  Bytes captured;  // a data datagram from B to A
  w.net.observer = [&](const wire::Endpoint& from, const wire::Endpoint& to, ByteSpan d) {
    if (from == b.local() && to == a.local() && d.size() > 40 && d[1] == std::byte{4})
      captured.assign(d.begin(), d.end());
  };
  ASSERT_TRUE(b.send(a.address(), frame(100, 1)));
  w.net.run_until(w.net.now() + 100ms);
  w.net.observer = nullptr;
  ASSERT_FALSE(captured.empty());

  // Straight into A, between two events: nothing else happens meanwhile.
  const Instant now = w.net.now();
  const auto peers_before = a.node().peer_stats(now);
  const node::NodeStats n0 = a.node().stats();
  const peer::SessionStats s0 = a.node().session_stats();

  // A fresh counter (bytes 8..15, big-endian), so the replay window lets it
  // through to the AEAD, which the header (its associated data) no longer matches.
  Bytes forged = captured;
  forged[13] ^= std::byte{1};
  Bytes unknown = captured;
  unknown[4] ^= std::byte{0x5a};  // the receiver index
  Bytes misrelayed(wire::RelayHeader::buffer_len());
  wire::RelayHeader{b.address(), a.address()}.emit(misrelayed);  // not for A
  misrelayed.insert(misrelayed.end(), captured.begin(), captured.end());
  const Bytes garbage{std::byte{1}, std::byte{2}, std::byte{3}};
  const std::vector<Bytes> hostile = {captured, forged, unknown, misrelayed, garbage};
  std::uint64_t hostile_bytes = 0;
  for (const Bytes& d : hostile) {
    a.node().process_datagram(now, b.local(), d);
    hostile_bytes += d.size();
  }

  const node::NodeStats& n1 = a.node().stats();
  const peer::SessionStats& s1 = a.node().session_stats();
  EXPECT_EQ(s1.data_replayed - s0.data_replayed, 1U);
  EXPECT_EQ(s1.data_rejected - s0.data_rejected, 1U);
  EXPECT_EQ(s1.data_expired, s0.data_expired);
  EXPECT_EQ(s1.unknown_index - s0.unknown_index, 1U);
  EXPECT_EQ(s1.malformed - s0.malformed, 1U);
  EXPECT_EQ(n1.relay_malformed - n0.relay_malformed, 1U);
  EXPECT_EQ(n1.datagrams_dropped - n0.datagrams_dropped, 4U);  // all but the relay's
  EXPECT_EQ(n1.datagrams_received - n0.datagrams_received, hostile.size());
  EXPECT_EQ(n1.bytes_received - n0.bytes_received, hostile_bytes);
  EXPECT_EQ(n1.datagrams_sent, n0.datagrams_sent);  // nothing answered

  const auto peers_after = a.node().peer_stats(now);
  ASSERT_EQ(peers_after.size(), peers_before.size());
  for (std::size_t i = 0; i < peers_after.size(); ++i) {
    EXPECT_EQ(peers_after[i].peer, peers_before[i].peer);
    EXPECT_EQ(peers_after[i].traffic, peers_before[i].traffic);
    EXPECT_EQ(peers_after[i].last_received, peers_before[i].last_received);
  }
}

TEST(NodeStats, APeerBeingLookedUpIsListedWithItsWaitingFramesUncounted) {
  SimWorld w(36, 7000);
  w.add_root(1);
  SimNode& a = w.add_node(std::nullopt);
  w.net.run_until(at(2s));
  const NodeId nobody = NodeId::from_u64(0x12345678ab).value();  // no root knows it
  ASSERT_TRUE(a.send(nobody, frame(10, 0)));
  w.net.run_until(w.net.now() + 100ms);
  node::PeerStats s = of(a, nobody, w.net.now());
  EXPECT_TRUE(s.looking_up);
  EXPECT_FALSE(s.session);
  EXPECT_EQ(s.route.kind, node::Route::Kind::none);
  EXPECT_EQ(s.traffic, node::TrafficCounters{});  // waiting, not sent
  w.net.run_until(w.net.now() + 10s);             // the lookup times out
  s = of(a, nobody, w.net.now());
  EXPECT_FALSE(s.looking_up);
  EXPECT_EQ(s.traffic, node::TrafficCounters{});
  EXPECT_EQ(a.node().stats().frames_dropped_waiting, 1U);
}

}  // namespace
}  // namespace weft::sim
