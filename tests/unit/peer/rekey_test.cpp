// Rekey on time and on volume under continuous traffic in both directions,
// with datagrams in flight while keys change: nothing may be lost.
#include <gtest/gtest.h>

#include "peer/session_table.hpp"
#include "unit/peer/pair.hpp"

namespace weft::peer {
namespace {

using testing::frame;
using testing::Pair;

struct Traffic {
  std::size_t sent_by_a = 0;
  std::size_t sent_by_b = 0;
  std::vector<Bytes> to_bob;
  std::vector<Bytes> to_alice;
};

// Every step: deliver what was sent one step ago, send one frame each way, poll.
Traffic run(Pair& p, int steps, Duration step) {
  Traffic t;
  std::vector<Outgoing> flight_a;
  std::vector<Outgoing> flight_b;
  const auto deliver = [&](std::vector<Outgoing>& from_a, std::vector<Outgoing>& from_b,
                           std::vector<Outgoing>& out_a, std::vector<Outgoing>& out_b) {
    for (auto& o : from_a) {
      auto r = p.b.receive(p.now(), p.alice_ep, o.datagram, out_b);
      if (r && r->kind == Received::Kind::message) t.to_bob.push_back(r->message);
    }
    for (auto& o : from_b) {
      auto r = p.a.receive(p.now(), p.bob_ep, o.datagram, out_a);
      if (r && r->kind == Received::Kind::message) t.to_alice.push_back(r->message);
    }
  };
  for (int i = 0; i < steps; ++i) {
    p.clock.advance(step);
    std::vector<Outgoing> out_a;
    std::vector<Outgoing> out_b;
    deliver(flight_a, flight_b, out_a, out_b);
    EXPECT_TRUE(p.a.send(p.now(), p.bob_id(), frame(200, static_cast<unsigned>(i)), out_a));
    EXPECT_TRUE(p.b.send(p.now(), p.alice_id(), frame(300, static_cast<unsigned>(i)), out_b));
    ++t.sent_by_a;
    ++t.sent_by_b;
    p.a.poll(p.now(), out_a);
    p.b.poll(p.now(), out_b);
    flight_a = std::move(out_a);
    flight_b = std::move(out_b);
  }
  // Drain what is still in flight.
  while (!flight_a.empty() || !flight_b.empty()) {
    p.clock.advance(step);
    std::vector<Outgoing> out_a;
    std::vector<Outgoing> out_b;
    deliver(flight_a, flight_b, out_a, out_b);
    flight_a = std::move(out_a);
    flight_b = std::move(out_b);
  }
  return t;
}

void expect_all_in_order(const Traffic& t) {
  ASSERT_EQ(t.to_bob.size(), t.sent_by_a);
  ASSERT_EQ(t.to_alice.size(), t.sent_by_b);
  for (std::size_t i = 0; i < t.to_bob.size(); ++i)
    ASSERT_EQ(t.to_bob[i], frame(200, static_cast<unsigned>(i))) << i;
  for (std::size_t i = 0; i < t.to_alice.size(); ++i)
    ASSERT_EQ(t.to_alice[i], frame(300, static_cast<unsigned>(i))) << i;
}

TEST(Rekey, OnTimeUnderContinuousTrafficLosesNothing) {
  SessionTableConfig c;
  c.limits.rekey_after_time = 10s;
  c.limits.reject_after_time = 20s;
  c.limits.previous_grace = 2s;
  Pair p(c);
  p.connect();
  const auto first = p.a.current_index(p.bob_id());
  const Traffic t = run(p, 600, 100ms);  // 60 s, datagrams 100 ms in flight
  expect_all_in_order(t);
  EXPECT_GE(p.a.stats().handshakes_completed, 6U);
  EXPECT_NE(p.a.current_index(p.bob_id()), first);
  EXPECT_EQ(p.a.stats().data_rejected + p.b.stats().data_rejected, 0U);
  EXPECT_EQ(p.a.stats().data_expired + p.b.stats().data_expired, 0U);
  EXPECT_EQ(p.a.stats().data_replayed + p.b.stats().data_replayed, 0U);
  EXPECT_EQ(p.a.stats().queue_dropped + p.b.stats().queue_dropped, 0U);
}

TEST(Rekey, OnVolumeUnderContinuousTrafficLosesNothing) {
  SessionTableConfig c;
  c.limits.rekey_after_messages = 50;
  c.limits.reject_after_messages = 80;
  Pair p(c);
  p.connect();
  const Traffic t = run(p, 1000, 10ms);
  expect_all_in_order(t);
  EXPECT_GE(p.a.stats().handshakes_completed + p.b.stats().handshakes_completed, 20U);
  EXPECT_EQ(p.a.stats().data_rejected + p.b.stats().data_rejected, 0U);
  EXPECT_EQ(p.a.stats().data_expired + p.b.stats().data_expired, 0U);
}

TEST(Rekey, ReplacedSessionDecryptsOnlyDuringTheGracePeriod) {
  SessionTableConfig c;
  c.limits.previous_grace = 2s;
  Pair p(c);
  p.connect();
  // Two datagrams sealed under the first session, held back.
  std::vector<Outgoing> held;
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), frame(50, 1), held));
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), frame(50, 2), held));
  ASSERT_EQ(held.size(), 2U);
  const auto old_index = p.b.current_index(p.alice_id());

  // A new handshake completes on both sides.
  std::vector<Outgoing> out;
  p.clock.advance(1s);
  ASSERT_TRUE(p.a.initiate(p.now(), p.bob_id(), out));
  p.pump(std::move(out));
  ASSERT_NE(p.b.current_index(p.alice_id()), old_index);

  std::vector<Outgoing> replies;
  auto first = p.b.receive(p.now() + 1s, p.alice_ep, held[0].datagram, replies);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->message, frame(50, 1));
  p.clock.advance(3s);
  p.b.poll(p.now(), replies);
  EXPECT_FALSE(p.b.receive(p.now(), p.alice_ep, held[1].datagram, replies));
}

TEST(Rekey, IdleSessionExpiresAndTheNextSendStartsAHandshake) {
  SessionTableConfig c;
  c.limits.reject_after_time = 30s;
  Pair p(c);
  p.connect();
  ASSERT_TRUE(p.a.has_session(p.bob_id()));
  p.clock.advance(30s);
  p.tick();
  EXPECT_FALSE(p.a.has_session(p.bob_id()));
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), frame(20, 1), out));
  const auto d = p.pump(std::move(out));
  ASSERT_EQ(d.to_bob.size(), 1U);
  EXPECT_TRUE(p.a.has_session(p.bob_id()));
}

TEST(Rekey, PassiveKeepaliveAnswersOneWayTraffic) {
  Pair p;
  p.connect();
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), frame(20, 1), out));
  p.pump(std::move(out));
  std::vector<Outgoing> ob;
  const Instant due = p.b.poll(p.now(), ob);
  EXPECT_TRUE(ob.empty());
  EXPECT_EQ(due, p.now() + 10s);
  p.clock.advance(10s);
  p.b.poll(p.now(), ob);
  ASSERT_EQ(ob.size(), 1U);
  std::vector<Outgoing> oa;
  auto r = p.a.receive(p.now(), p.bob_ep, ob[0].datagram, oa);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, Received::Kind::keepalive);
}

}  // namespace
}  // namespace weft::peer
