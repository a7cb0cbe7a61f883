// 10,000 handshake initiations from spoofed sources: past the load threshold the
// responder answers each with a cookie reply and does no Diffie-Hellman, so the
// expensive operations are bounded by the threshold, not by the flood; a real
// peer still gets through (docs/protocol.md §4.5).
#include <gtest/gtest.h>

#include <iostream>

#include "crypto/x25519.hpp"
#include "peer/session_table.hpp"
#include "unit/peer/pair.hpp"
#include "wire/cookie_reply.hpp"
#include "wire/initiation.hpp"

namespace weft::peer {
namespace {

using testing::frame;
using testing::Pair;

// What a flooder can make without any Diffie-Hellman: random fields and a valid
// mac1 (Bob's public keys are public), sent from a forged source address.
Bytes spoofed_initiation(crypto::Rng& rng, Instant now) {
  wire::Initiation m;
  m.sender_index = rng.next_u32();
  rng.fill(m.ephemeral);
  rng.fill(m.encrypted_static);
  rng.fill(m.encrypted_timestamp);
  Bytes b(wire::Initiation::buffer_len());
  m.emit(b);
  CookieJar jar(weft::testing::bob().public_identity());
  MutableByteSpan mb(b);
  jar.stamp(now, mb.first(wire::InitiationView::kMac1),
            mb.subspan<wire::InitiationView::kMac1, 16>(),
            mb.subspan<wire::InitiationView::kMac2, 16>());
  return b;
}

TEST(HandshakeFlood, SpoofedInitiationsCostBoundedDiffieHellmanAndARealPeerGetsThrough) {
  SessionTableConfig c;
  c.load_threshold = 16;
  c.load_interval = 1s;
  Pair p(c);
  crypto::SeededRng attacker(99);

  constexpr int kFlood = 10'000;
  constexpr Duration kStep = 600us;  // 10,000 over 6 s of simulated time
  const Instant start = p.now();
  const auto dh_before = crypto::x25519_operations();
  std::uint64_t reply_bytes = 0;
  std::uint64_t flood_bytes = 0;
  bool alice_started = false;
  std::vector<Outgoing> from_alice;

  for (int i = 0; i < kFlood; ++i) {
    p.clock.advance(kStep);
    const auto spoofed = wire::Endpoint::ipv4(
        {std::byte{10}, static_cast<std::byte>(i >> 8), static_cast<std::byte>(i), std::byte{1}},
        static_cast<std::uint16_t>(40000 + i % 1000));
    const Bytes m = spoofed_initiation(attacker, p.now());
    flood_bytes += m.size();
    std::vector<Outgoing> replies;
    (void)p.b.receive(p.now(), spoofed, m, replies);
    for (const auto& r : replies) reply_bytes += r.datagram.size();

    // Alice, a real peer, starts talking half a second into the flood and keeps
    // her timers running; her datagrams and Bob's answers go through.
    if (!alice_started && p.now() - start >= 500ms) {
      alice_started = true;
      ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), frame(64, 1), from_alice));
    }
    p.a.poll(p.now(), from_alice);
    p.pump(std::move(from_alice));
    from_alice.clear();
  }

  const auto dh = crypto::x25519_operations() - dh_before;
  // 6 s spans at most 7 load intervals; each admits `threshold` messages without
  // a cookie, and a spoofed one costs one X25519 (es) before its AEAD fails.
  // Alice's and Bob's real handshake costs 10 more (3 + 2 + 3 + 2).
  const std::uint64_t intervals = 7;
  std::cout << "flood: " << kFlood << " spoofed initiations, " << dh << " X25519, "
            << p.b.stats().initiations_received << " admitted, " << p.b.stats().cookie_replies_sent
            << " cookie replies\n";
  EXPECT_LE(dh, intervals * c.load_threshold * 2 + 10) << "x25519 operations: " << dh;
  EXPECT_LE(p.b.stats().initiations_received, intervals * c.load_threshold + 2);
  EXPECT_GE(p.b.stats().cookie_replies_sent, kFlood - intervals * c.load_threshold);
  EXPECT_EQ(p.b.stats().address_checks, 0U);  // no Argon2id for anyone
  // Cookie replies are smaller than what provoked them: no amplification.
  EXPECT_LT(reply_bytes, flood_bytes);

  // Alice got a cookie, retried with mac2 and was admitted although Bob is
  // under load; her queued frame arrived and traffic flows.
  EXPECT_GE(p.a.stats().cookie_replies_received, 1U);
  ASSERT_TRUE(p.a.has_session(p.bob_id()));
  ASSERT_TRUE(p.b.has_session(p.alice_id()));
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), frame(500, 2), out));
  const auto d = p.pump(std::move(out));
  ASSERT_EQ(d.to_bob.size(), 1U);
  EXPECT_EQ(d.to_bob[0], frame(500, 2));
}

TEST(HandshakeFlood, ForgedCookieReplyIsIgnored) {
  Pair p;
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.initiate(p.now(), p.bob_id(), out));
  const auto index = wire::InitiationView::parse(out[0].datagram)->sender_index();
  // A reply for the right index but not sealed with Bob's cookie key.
  wire::CookieReply forged{index, {}, {}};
  Bytes b(wire::CookieReply::buffer_len());
  forged.emit(b);
  std::vector<Outgoing> ignored;
  EXPECT_EQ(p.a.receive(p.now(), p.bob_ep, b, ignored).error(), Error::verification_failed);
  EXPECT_EQ(p.a.stats().cookie_replies_received, 0U);
}

}  // namespace
}  // namespace weft::peer
