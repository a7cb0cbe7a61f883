#include "peer/path_set.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "peer/identity_verifier.hpp"
#include "unit/fixtures/identities.hpp"

namespace weft::peer {
namespace {

wire::Endpoint ep(unsigned last, std::uint16_t port = 9993) {
  return wire::Endpoint::ipv4({std::byte{127}, std::byte{0}, std::byte{0}, std::byte(last)}, port);
}
Instant t(Duration d) { return Instant{} + d; }

TEST(PathSet, ACandidateCarriesNoTrafficUntilAuthenticated) {
  PathConfig c;
  PathSet s(c);
  s.add_candidate(t(0s), ep(1));
  EXPECT_FALSE(s.select(t(0s)).has_value());
  std::uint64_t id = 1;
  std::vector<ProbeRequest> probes;
  s.poll(t(0s), id, probes);
  ASSERT_EQ(probes.size(), 1U);
  EXPECT_EQ(probes[0].endpoint, ep(1));
  s.authenticated(t(10ms), ep(1));
  EXPECT_EQ(s.select(t(10ms)), ep(1));
}

TEST(PathSet, UnconfirmedCandidatesArePunchedInABurstThenSlowly) {
  PathConfig c;
  PathSet s(c);
  s.add_candidate(t(0s), ep(1));
  std::uint64_t id = 1;
  std::vector<ProbeRequest> probes;
  Instant now = t(0s);
  std::vector<Instant> sent;
  while (now != Instant::max()) {
    const std::size_t before = probes.size();
    const Instant next = s.poll(now, id, probes);
    if (probes.size() > before) sent.push_back(now);
    now = next;
  }
  // punch_attempts punch_interval apart, then probe_interval apart until the
  // candidate is forgotten (candidate_timeout after it was announced).
  ASSERT_EQ(sent.size(), 21U);
  for (std::size_t i = 1; i < c.punch_attempts; ++i)
    EXPECT_EQ(sent[i] - sent[i - 1], c.punch_interval);
  for (std::size_t i = c.punch_attempts; i < sent.size(); ++i)
    EXPECT_EQ(sent[i] - sent[i - 1], c.probe_interval);
  EXPECT_EQ(s.size(), 0U);
}

TEST(PathSet, LowestLatencyWinsWithHysteresis) {
  PathConfig c;
  PathSet s(c);
  std::uint64_t id = 1;
  std::vector<ProbeRequest> probes;
  s.authenticated(t(0s), ep(1));
  s.authenticated(t(0s), ep(2));
  s.poll(t(0s), id, probes);
  ASSERT_EQ(probes.size(), 2U);
  s.probe_reply(t(50ms), ep(1), probes[0].id);
  s.probe_reply(t(40ms), ep(2), probes[1].id);
  EXPECT_EQ(s.select(t(50ms)), ep(2));
  // ep(1) turns out a little faster: not enough to move (within 1/4 of 40 ms).
  probes.clear();
  for (int i = 0; i < 20; ++i) {
    const Instant now = t(5s * (i + 1));
    s.poll(now, id, probes);
    for (const auto& p : probes)
      s.probe_reply(now + (p.endpoint == ep(1) ? 35ms : 40ms), p.endpoint, p.id);
    probes.clear();
  }
  EXPECT_EQ(s.select(t(101s)), ep(2));
  // Much faster: it moves.
  for (int i = 20; i < 60; ++i) {
    const Instant now = t(5s * (i + 1));
    s.poll(now, id, probes);
    for (const auto& p : probes)
      s.probe_reply(now + (p.endpoint == ep(1) ? 5ms : 40ms), p.endpoint, p.id);
    probes.clear();
  }
  EXPECT_EQ(s.select(t(301s)), ep(1));
}

TEST(PathSet, ASilentPathDiesAndTrafficMovesToALiveOne) {
  PathConfig c;
  PathSet s(c);
  s.authenticated(t(0s), ep(1));
  s.authenticated(t(0s), ep(2));
  const auto first = s.select(t(0s));
  ASSERT_TRUE(first);
  const wire::Endpoint other = *first == ep(1) ? ep(2) : ep(1);
  for (int i = 1; i <= 20; ++i) s.authenticated(t(1s * i), other);
  EXPECT_EQ(s.select(t(20s)), other);
  EXPECT_FALSE(s.alive(t(20s), *first));
  // Nothing at all: no path.
  EXPECT_FALSE(s.select(t(40s)).has_value());
}

TEST(PathSet, ANewSessionMovesTrafficAtOnceAndOtherPathsMustProveThemselves) {
  PathConfig c;
  PathSet s(c);
  s.authenticated(t(0s), ep(1));
  EXPECT_EQ(s.select(t(0s)), ep(1));
  // The peer restarted on another port: its new session arrives from ep(2)
  // while ep(1), the old socket, still counts as alive by its last traffic.
  s.session_started(t(500ms), ep(2, 40000));
  EXPECT_EQ(s.select(t(500ms)), ep(2, 40000));
  EXPECT_FALSE(s.alive(t(500ms), ep(1)));
  // ep(1) is probed again like any candidate; an answer makes it live again.
  std::uint64_t id = 1;
  std::vector<ProbeRequest> probes;
  s.poll(t(6s), id, probes);
  const auto to_old = std::find_if(probes.begin(), probes.end(),
                                   [](const ProbeRequest& p) { return p.endpoint == ep(1); });
  ASSERT_NE(to_old, probes.end());
  s.probe_reply(t(6s) + 1ms, ep(1), to_old->id);
  EXPECT_TRUE(s.alive(t(6s) + 1ms, ep(1)));
}

TEST(PathSet, ProbeRepliesOnlyMeasureTheirOwnProbe) {
  PathConfig c;
  PathSet s(c);
  std::uint64_t id = 7;
  std::vector<ProbeRequest> probes;
  s.authenticated(t(0s), ep(1));
  s.poll(t(0s), id, probes);
  s.probe_reply(t(1ms), ep(1), probes[0].id + 100);
  EXPECT_FALSE(s.latency(ep(1)).has_value());
  s.probe_reply(t(30ms), ep(1), probes[0].id);
  EXPECT_EQ(s.latency(ep(1)), 30ms);
  EXPECT_EQ(s.last_latency(ep(1)), 30ms);
}

TEST(PathSet, LatencyIsSmoothedAndTheLastSampleKept) {
  PathConfig c;
  PathSet s(c);
  std::uint64_t id = 1;
  std::vector<ProbeRequest> probes;
  s.authenticated(t(0s), ep(1));
  EXPECT_FALSE(s.last_latency(ep(1)).has_value());
  s.poll(t(0s), id, probes);
  s.probe_reply(t(80ms), ep(1), probes.back().id);
  s.poll(t(0s) + c.probe_interval, id, probes);
  s.probe_reply(t(0s) + c.probe_interval + 160ms, ep(1), probes.back().id);
  EXPECT_EQ(probes.size(), 2U);
  EXPECT_EQ(s.latency(ep(1)), 90ms);  // 80 + (160 - 80) / 8
  EXPECT_EQ(s.last_latency(ep(1)), 160ms);
  EXPECT_FALSE(s.last_latency(ep(2)).has_value());
}

TEST(PathSet, BoundedAndForgetsStaleCandidates) {
  PathConfig c;
  PathSet s(c);
  for (unsigned i = 0; i < 50; ++i) s.add_candidate(t(0s), ep(i + 1));
  EXPECT_EQ(s.size(), c.max_paths);
  std::uint64_t id = 1;
  std::vector<ProbeRequest> probes;
  s.poll(t(0s) + c.candidate_timeout, id, probes);
  EXPECT_EQ(s.size(), 0U);
}

TEST(IdentityCache, DerivesEachKeyPairOnce) {
  IdentityCache cache;
  const auto& alice = weft::testing::alice().public_identity();
  for (int i = 0; i < 3; ++i) {
    auto id = cache.verify(alice.signing_key(), alice.agreement_key());
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, alice);
  }
  EXPECT_EQ(cache.derivations(), 1U);
  EXPECT_FALSE(verify_identity(&cache, weft::testing::bob().address(), alice.signing_key(),
                               alice.agreement_key()));
  // Keys that fail the proof of work fail every time, from the cache too.
  crypto::PublicKey junk{};
  for (std::uint8_t v = 1; crypto::PublicIdentity::from_keys(junk, junk); ++v)
    junk.fill(std::byte{v});
  EXPECT_FALSE(cache.verify(junk, junk));
  EXPECT_FALSE(cache.verify(junk, junk));
  EXPECT_EQ(cache.derivations(), 2U);  // alice, and the junk once
}

}  // namespace
}  // namespace weft::peer
