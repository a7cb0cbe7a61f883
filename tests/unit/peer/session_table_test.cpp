// Handshakes and sessions between two fixed identities (docs/protocol.md §4-§5).
#include "peer/session_table.hpp"

#include <gtest/gtest.h>

#include "crypto/x25519.hpp"
#include "unit/peer/pair.hpp"
#include "wire/data.hpp"
#include "wire/initiation.hpp"
#include "wire/inner.hpp"
#include "wire/relay.hpp"
#include "wire/response.hpp"

namespace weft::peer {
namespace {

using testing::frame;
using testing::Pair;

TEST(SessionTable, HandshakeCompletesAndQueuedMessagesArrive) {
  Pair p;
  std::vector<Outgoing> out;
  const Bytes hello = frame(100, 1);
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), hello, out));  // queued, initiation sent
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].datagram.size(), wire::InitiationView::kSize);
  EXPECT_FALSE(p.a.has_session(p.bob_id()));

  const auto d = p.pump(std::move(out));
  ASSERT_EQ(d.to_bob.size(), 1U);
  EXPECT_EQ(d.to_bob[0], hello);
  EXPECT_TRUE(p.a.has_session(p.bob_id()));
  EXPECT_TRUE(p.b.has_session(p.alice_id()));  // promoted by Alice's first data
  EXPECT_EQ(p.a.stats().handshakes_completed, 1U);
  EXPECT_EQ(p.b.stats().handshakes_completed, 1U);

  // Both directions, byte for byte.
  std::vector<Outgoing> oa;
  std::vector<Outgoing> ob;
  const Bytes x = frame(1300, 2);
  const Bytes y = frame(1, 3);
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), x, oa));
  ASSERT_TRUE(p.b.send(p.now(), p.alice_id(), y, ob));
  const auto d2 = p.pump(std::move(oa), std::move(ob));
  ASSERT_EQ(d2.to_bob.size(), 1U);
  ASSERT_EQ(d2.to_alice.size(), 1U);
  EXPECT_EQ(d2.to_bob[0], x);
  EXPECT_EQ(d2.to_alice[0], y);
}

TEST(SessionTable, UnknownInitiatorIsAcceptedAfterItsAddressChecks) {
  Pair p({}, /*know_each_other=*/false);
  ASSERT_TRUE(p.a.add_peer(weft::testing::bob().public_identity()));
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), frame(10, 1), out));
  const auto d = p.pump(std::move(out));
  EXPECT_EQ(d.to_bob.size(), 1U);
  EXPECT_EQ(p.b.stats().address_checks, 1U);
  EXPECT_TRUE(p.b.has_session(p.alice_id()));
}

TEST(SessionTable, UnknownInitiatorIsRejectedWhenNotAllowed) {
  SessionTableConfig c;
  c.accept_unknown_peers = false;
  Pair p(c, false);
  ASSERT_TRUE(p.a.add_peer(weft::testing::bob().public_identity()));
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.initiate(p.now(), p.bob_id(), out));
  std::vector<Outgoing> replies;
  EXPECT_EQ(p.b.receive(p.now(), p.alice_ep, out[0].datagram, replies).error(),
            Error::not_authorized);
  EXPECT_TRUE(replies.empty());
  EXPECT_EQ(p.b.stats().peers_rejected, 1U);
}

TEST(SessionTable, TamperedInitiationIsRejected) {
  Pair p;
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.initiate(p.now(), p.bob_id(), out));
  Bytes bad = out[0].datagram;
  bad[wire::InitiationView::kEncryptedStatic + 3] ^= std::byte{1};
  std::vector<Outgoing> replies;
  // mac1 covers the byte: dropped for one BLAKE2b, before any Diffie-Hellman.
  const auto dh = crypto::x25519_operations();
  EXPECT_EQ(p.b.receive(p.now(), p.alice_ep, bad, replies).error(), Error::verification_failed);
  EXPECT_EQ(crypto::x25519_operations(), dh);
  EXPECT_EQ(p.b.stats().mac_rejected, 1U);

  // With mac1 made valid again the handshake's own AEAD rejects it.
  CookieJar jar(weft::testing::bob().public_identity());
  MutableByteSpan mb(bad);
  jar.stamp(p.now(), mb.first(wire::InitiationView::kMac1),
            mb.subspan<wire::InitiationView::kMac1, 16>(),
            mb.subspan<wire::InitiationView::kMac2, 16>());
  EXPECT_EQ(p.b.receive(p.now(), p.alice_ep, bad, replies).error(), Error::verification_failed);
  EXPECT_EQ(p.b.stats().handshake_rejected, 1U);
  EXPECT_TRUE(replies.empty());
  EXPECT_FALSE(p.b.has_session(p.alice_id()));
}

TEST(SessionTable, InitiationForAWrongStaticKeyIsRejected) {
  // Alice holds Mallory's identity; the datagram reaches Bob (an on-path
  // redirect, or a stale lookup). mac1 was made for Mallory's keys.
  Pair p;
  ASSERT_TRUE(p.a.add_peer(weft::testing::mallory().public_identity()));
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.initiate(p.now(), weft::testing::mallory().address(), out));
  std::vector<Outgoing> replies;
  EXPECT_EQ(p.b.receive(p.now(), p.alice_ep, out[0].datagram, replies).error(),
            Error::verification_failed);
  EXPECT_EQ(p.b.stats().mac_rejected, 1U);
  // Even with a mac1 for Bob, the handshake keys are Mallory's: nothing opens.
  Bytes m = out[0].datagram;
  CookieJar jar(weft::testing::bob().public_identity());
  MutableByteSpan mb(m);
  jar.stamp(p.now(), mb.first(wire::InitiationView::kMac1),
            mb.subspan<wire::InitiationView::kMac1, 16>(),
            mb.subspan<wire::InitiationView::kMac2, 16>());
  EXPECT_EQ(p.b.receive(p.now(), p.alice_ep, m, replies).error(), Error::verification_failed);
  EXPECT_EQ(p.b.stats().handshake_rejected, 1U);
  EXPECT_TRUE(replies.empty());
}

TEST(SessionTable, TamperedResponseIsRejected) {
  Pair p;
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.initiate(p.now(), p.bob_id(), out));
  std::vector<Outgoing> replies;
  ASSERT_TRUE(p.b.receive(p.now(), p.alice_ep, out[0].datagram, replies));
  ASSERT_EQ(replies.size(), 1U);
  Bytes bad = replies[0].datagram;
  bad[wire::ResponseView::kEphemeral + 5] ^= std::byte{4};
  std::vector<Outgoing> ignored;
  EXPECT_EQ(p.a.receive(p.now(), p.bob_ep, bad, ignored).error(), Error::verification_failed);
  EXPECT_EQ(p.a.stats().mac_rejected, 1U);
  // A valid mac1 (anyone can make one: it is keyed by Alice's public keys) does
  // not help: the response's AEAD fails.
  CookieJar jar(weft::testing::alice().public_identity());
  MutableByteSpan mb(bad);
  jar.stamp(p.now(), mb.first(wire::ResponseView::kMac1),
            mb.subspan<wire::ResponseView::kMac1, 16>(),
            mb.subspan<wire::ResponseView::kMac2, 16>());
  EXPECT_EQ(p.a.receive(p.now(), p.bob_ep, bad, ignored).error(), Error::verification_failed);
  EXPECT_EQ(p.a.stats().handshake_rejected, 1U);
  EXPECT_FALSE(p.a.has_session(p.bob_id()));
  // The genuine response still completes the handshake.
  ASSERT_TRUE(p.a.receive(p.now(), p.bob_ep, replies[0].datagram, ignored));
  EXPECT_TRUE(p.a.has_session(p.bob_id()));
}

TEST(SessionTable, ReplayedInitiationIsRejected) {
  Pair p;
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.initiate(p.now(), p.bob_id(), out));
  const Bytes initiation = out[0].datagram;
  p.pump(std::move(out));
  ASSERT_TRUE(p.b.has_session(p.alice_id()));
  const auto index = p.b.current_index(p.alice_id());

  p.clock.advance(1s);
  std::vector<Outgoing> replies;
  EXPECT_EQ(p.b.receive(p.now(), p.alice_ep, initiation, replies).error(), Error::replayed);
  EXPECT_TRUE(replies.empty());
  EXPECT_EQ(p.b.stats().initiations_replayed, 1U);
  EXPECT_EQ(p.b.current_index(p.alice_id()), index);  // the session is untouched
}

TEST(SessionTable, TamperedReplayedAndUnknownDataAreRejectedAndCounted) {
  Pair p;
  p.connect();
  std::vector<Outgoing> out;
  const Bytes x = frame(200, 9);
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), x, out));
  ASSERT_EQ(out.size(), 1U);
  const Bytes genuine = out[0].datagram;
  std::vector<Outgoing> replies;
  const auto received_before = p.b.stats().data_received;  // the handshake's keepalive

  for (std::size_t at : {4UL, 8UL, 15UL, 16UL, 100UL, genuine.size() - 1}) {
    Bytes bad = genuine;
    bad[at] ^= std::byte{0x10};
    EXPECT_FALSE(p.b.receive(p.now(), p.alice_ep, bad, replies)) << at;
  }
  EXPECT_EQ(p.b.stats().data_received, received_before);
  EXPECT_GE(p.b.stats().data_rejected, 1U);  // the ones whose index still named the session
  EXPECT_EQ(p.b.stats().data_expired, 0U);

  auto ok = p.b.receive(p.now(), p.alice_ep, genuine, replies);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->message, x);
  EXPECT_EQ(p.b.receive(p.now(), p.alice_ep, genuine, replies).error(), Error::replayed);
  EXPECT_EQ(p.b.stats().data_replayed, 1U);

  // A data message for an index nobody gave out.
  Bytes stranger = genuine;
  stranger[4] = std::byte{0xfe};
  stranger[5] = std::byte{0xed};
  EXPECT_EQ(p.b.receive(p.now(), p.alice_ep, stranger, replies).error(), Error::not_found);
  EXPECT_GE(p.b.stats().unknown_index, 1U);
  EXPECT_TRUE(replies.empty());
}

TEST(SessionTable, DataForAnExpiredSessionIsCountedApartFromForgeries) {
  SessionTableConfig c;
  c.limits.reject_after_time = 30s;
  Pair p(c);
  p.connect();
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), frame(60, 1), out));
  ASSERT_EQ(out.size(), 1U);
  // Bob has not polled since, so the session is still his current one, but
  // past its lifetime: genuine data that is refused for its age, not its keys.
  p.clock.advance(31s);
  std::vector<Outgoing> replies;
  const auto rejected_before = p.b.stats().data_rejected;
  EXPECT_EQ(p.b.receive(p.now(), p.alice_ep, out[0].datagram, replies).error(), Error::expired);
  EXPECT_EQ(p.b.stats().data_expired, 1U);
  EXPECT_EQ(p.b.stats().data_rejected, rejected_before);
}

TEST(SessionTable, RelayedPacketsAreProcessedLikeDirectOnes) {
  Pair p;
  p.connect();
  std::vector<Outgoing> out;
  const Bytes x = frame(80, 4);
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), x, out));
  // What a root forwards: the relay header, then Alice's data message unchanged.
  Bytes relayed(wire::RelayHeader::buffer_len());
  wire::RelayHeader{p.bob_id(), p.alice_id()}.emit(relayed);
  relayed.insert(relayed.end(), out[0].datagram.begin(), out[0].datagram.end());
  std::vector<Outgoing> replies;
  auto r = p.b.receive(p.now(), testing::endpoint(9, 9993), relayed, replies);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message, x);
  // Addressed to someone else: dropped.
  Bytes misaddressed(wire::RelayHeader::buffer_len());
  wire::RelayHeader{p.alice_id(), p.bob_id()}.emit(misaddressed);
  misaddressed.insert(misaddressed.end(), out[0].datagram.begin(), out[0].datagram.end());
  EXPECT_EQ(p.b.receive(p.now(), testing::endpoint(9, 9993), misaddressed, replies).error(),
            Error::not_found);
}

TEST(SessionTable, LargeFramesAreFragmentedAndReassembled) {
  Pair p;
  p.connect();
  for (std::size_t size : {1369UL, 9000UL, 65536UL}) {
    std::vector<Outgoing> out;
    const Bytes big = frame(size, static_cast<unsigned>(size));
    ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), big, out));
    EXPECT_EQ(out.size(), (size + 1351) / 1352) << size;
    for (const auto& o : out) EXPECT_LE(o.datagram.size(), 1400U);
    const auto d = p.pump(std::move(out));
    ASSERT_EQ(d.to_bob.size(), 1U) << size;
    EXPECT_EQ(d.to_bob[0], big);
  }
  std::vector<Outgoing> out;
  EXPECT_EQ(p.a.send(p.now(), p.bob_id(), frame(wire::kMaxInnerMessage + 1, 1), out).error(),
            Error::too_large);
}

TEST(SessionTable, RecycledBuffersCarryExactlyTheNextMessages) {
  // Both sides hand every buffer back as node::Node does: the sender its sent
  // datagrams, the receiver its handled messages. Sizes alternate between
  // fragmented and whole, large and small, so every reused buffer once held
  // longer, different bytes than the message it carries next.
  Pair p;
  p.connect();
  std::size_t delivered = 0;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t size : {9000UL, 100UL, 2800UL, 1369UL, 40UL, 5000UL}) {
      const Bytes m = frame(size, static_cast<unsigned>(size + round));
      std::vector<Outgoing> out;
      ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), m, out));
      std::vector<Outgoing> replies;
      for (auto& o : out) {
        auto r = p.b.receive(p.now(), p.alice_ep, o.datagram, replies);
        ASSERT_TRUE(r);
        p.a.recycle_datagram(std::move(o.datagram));
        if (r->kind != Received::Kind::message) continue;
        EXPECT_EQ(r->message, m) << size;
        ++delivered;
        p.b.recycle(std::move(r->message));
      }
    }
  }
  EXPECT_EQ(delivered, 18U);
  EXPECT_EQ(p.b.reassembly_stats().completed, 12U);
}

TEST(SessionTable, QueueIsBoundedWhileTheHandshakeRuns) {
  SessionTableConfig c;
  c.max_queued_per_peer = 4;
  Pair p(c);
  std::vector<Outgoing> out;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), frame(10, i), out));
  EXPECT_EQ(p.a.send(p.now(), p.bob_id(), frame(10, 9), out).error(), Error::no_buffer);
  EXPECT_EQ(out.size(), 1U);  // one initiation, not one per message
  const auto d = p.pump(std::move(out));
  EXPECT_EQ(d.to_bob.size(), 4U);
}

TEST(SessionTable, LostInitiationIsRetriedThenGivenUp) {
  Pair p;
  std::vector<Outgoing> out;
  ASSERT_TRUE(p.a.send(p.now(), p.bob_id(), frame(10, 1), out));
  out.clear();  // lost
  std::vector<Outgoing> retry;
  const Instant deadline = p.a.poll(p.now(), retry);
  EXPECT_TRUE(retry.empty());
  EXPECT_EQ(deadline, p.now() + 5s);
  p.clock.advance(5s);
  p.a.poll(p.now(), retry);
  ASSERT_EQ(retry.size(), 1U);  // a new initiation
  const auto d = p.pump(std::move(retry));
  EXPECT_EQ(d.to_bob.size(), 1U);

  // With nothing answering, after 90 s the queue is dropped.
  Pair q;
  ASSERT_TRUE(q.a.send(q.now(), q.bob_id(), frame(10, 1), out));
  for (int i = 0; i < 19; ++i) {
    q.clock.advance(5s);
    std::vector<Outgoing> ignored;
    q.a.poll(q.now(), ignored);
  }
  EXPECT_EQ(q.a.stats().queue_dropped, 1U);
}

}  // namespace
}  // namespace weft::peer
