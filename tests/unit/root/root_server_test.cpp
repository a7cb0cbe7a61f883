#include "root/root_server.hpp"

#include <gtest/gtest.h>

#include "crypto/rng.hpp"
#include "peer/session_table.hpp"
#include "unit/fixtures/identities.hpp"
#include "wire/inner.hpp"
#include "wire/lookup.hpp"
#include "wire/lookup_reply.hpp"
#include "wire/registration.hpp"
#include "wire/registration_ack.hpp"
#include "wire/relay.hpp"
#include "wire/rendezvous.hpp"

namespace weft::root {
namespace {

using weft::testing::alice;
using weft::testing::bob;
using weft::testing::mallory;

wire::Endpoint ep(unsigned last, std::uint16_t port) {
  return wire::Endpoint::ipv4({std::byte{127}, std::byte{0}, std::byte{0}, std::byte(last)}, port);
}

using wire::emit_bytes;

// The root is Mallory's identity here (any identity can be a root); Alice and
// Bob are nodes with plain SessionTables at fixed endpoints.
struct Harness {
  crypto::SeededRng root_rng{1}, a_rng{2}, b_rng{3};
  RootServer root{mallory(), root_rng};
  peer::SessionTable a{alice(), a_rng};
  peer::SessionTable b{bob(), b_rng};
  wire::Endpoint root_ep = ep(1, 9993), a_ep = ep(2, 1000), b_ep = ep(3, 2000);
  Instant now;
  std::vector<Bytes> to_a, to_b;                      // inner messages the nodes received
  std::vector<std::pair<wire::Endpoint, Bytes>> raw;  // everything the root sent

  Harness() {
    EXPECT_TRUE(a.add_peer(mallory().public_identity()));
    EXPECT_TRUE(b.add_peer(mallory().public_identity()));
  }

  // Carries datagrams between the root and the nodes until quiet.
  void carry(std::vector<peer::Outgoing> from_a, std::vector<peer::Outgoing> from_b) {
    for (int round = 0; round < 10 && (!from_a.empty() || !from_b.empty()); ++round) {
      std::vector<RootOutput> out;
      for (auto& o : from_a) root.process_datagram(now, a_ep, o.datagram, out);
      for (auto& o : from_b) root.process_datagram(now, b_ep, o.datagram, out);
      from_a.clear();
      from_b.clear();
      for (auto& o : out) {
        raw.emplace_back(o.to, o.datagram);
        if (o.to == a_ep) {
          auto r = a.receive(now, o.to, o.datagram, from_a);
          if (r && r->kind == peer::Received::Kind::message) to_a.push_back(r->message);
        } else if (o.to == b_ep) {
          auto r = b.receive(now, o.to, o.datagram, from_b);
          if (r && r->kind == peer::Received::Kind::message) to_b.push_back(r->message);
        }
      }
    }
  }
  void from_alice(ByteSpan inner) {
    std::vector<peer::Outgoing> out;
    ASSERT_TRUE(a.send(now, mallory().address(), inner, out));
    carry(std::move(out), {});
  }
  void from_bob(ByteSpan inner) {
    std::vector<peer::Outgoing> out;
    ASSERT_TRUE(b.send(now, mallory().address(), inner, out));
    carry({}, std::move(out));
  }
};

wire::Registration registration(const crypto::Identity& signer, const crypto::Identity& subject,
                                std::uint64_t ts, std::vector<wire::Endpoint> locals = {}) {
  wire::Registration r{
      ts,
      wire::PeerRecord{subject.address(), subject.public_identity().signing_key(),
                       subject.public_identity().agreement_key(), std::move(locals)},
      {}};
  r.signature = signer.sign(r.signing_input());
  return r;
}

TEST(RootServer, AcceptsASignedRegistrationAndAcksTheObservedEndpoint) {
  Harness h;
  h.from_alice(emit_bytes(registration(alice(), alice(), 100, {ep(9, 1)})));
  EXPECT_EQ(h.root.stats().registrations_accepted, 1U);
  ASSERT_EQ(h.to_a.size(), 1U);
  auto ack = wire::RegistrationAck::parse(h.to_a[0]);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->timestamp, 100U);
  EXPECT_EQ(ack->observed, h.a_ep);
  auto rec = h.root.lookup(h.now, alice().address());
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->endpoints, (std::vector<wire::Endpoint>{h.a_ep, ep(9, 1)}));
}

TEST(RootServer, NobodyRegistersAnotherNodesAddress) {
  Harness h;
  // Alice sends Bob's record, signed by herself: the keys are not her session's.
  h.from_alice(emit_bytes(registration(alice(), bob(), 100)));
  // Her own record with a signature by someone else.
  h.from_alice(emit_bytes(registration(bob(), alice(), 101)));
  // Her own record, signed, then one byte of the signed part changed.
  Bytes tampered = emit_bytes(registration(alice(), alice(), 102, {ep(9, 1)}));
  tampered[tampered.size() - 70] ^= std::byte{1};
  h.from_alice(tampered);
  EXPECT_EQ(h.root.stats().registrations_rejected, 3U);
  EXPECT_EQ(h.root.stats().registrations_accepted, 0U);
  EXPECT_FALSE(h.root.lookup(h.now, alice().address()));
  EXPECT_FALSE(h.root.lookup(h.now, bob().address()));
  EXPECT_TRUE(h.to_a.empty());
}

TEST(RootServer, RejectsReplayedAndOlderRegistrations) {
  Harness h;
  const Bytes first = emit_bytes(registration(alice(), alice(), 200));
  h.from_alice(first);
  h.from_alice(first);
  h.from_alice(emit_bytes(registration(alice(), alice(), 150)));
  h.from_alice(emit_bytes(registration(alice(), alice(), 201)));
  EXPECT_EQ(h.root.stats().registrations_accepted, 2U);
  EXPECT_EQ(h.root.stats().registrations_replayed, 2U);
}

TEST(RootServer, AnswersLookupsAndSendsARendezvousToTheTarget) {
  Harness h;
  h.from_alice(emit_bytes(registration(alice(), alice(), 1)));
  h.from_bob(emit_bytes(registration(bob(), bob(), 1)));
  h.to_a.clear();
  h.to_b.clear();
  h.from_bob(emit_bytes(wire::Lookup{77, alice().address()}));
  ASSERT_EQ(h.to_b.size(), 1U);
  auto reply = wire::LookupReply::parse(h.to_b[0]);
  ASSERT_TRUE(reply && reply->record);
  EXPECT_EQ(reply->request_id, 77U);
  EXPECT_EQ(reply->record->address, alice().address());
  EXPECT_EQ(reply->record->signing_key, alice().public_identity().signing_key());
  EXPECT_EQ(reply->record->endpoints.front(), h.a_ep);
  ASSERT_EQ(h.to_a.size(), 1U);
  auto rv = wire::Rendezvous::parse(h.to_a[0]);
  ASSERT_TRUE(rv);
  EXPECT_EQ(rv->record.address, bob().address());
  EXPECT_EQ(rv->record.endpoints.front(), h.b_ep);

  h.from_bob(emit_bytes(wire::Lookup{78, mallory().address()}));
  auto nf = wire::LookupReply::parse(h.to_b.back());
  ASSERT_TRUE(nf);
  EXPECT_FALSE(nf->record);
  EXPECT_EQ(h.root.stats().lookups_not_found, 1U);
}

Bytes relayed(NodeId dst, NodeId src) {
  Bytes b(wire::RelayHeader::buffer_len() + 40, std::byte{0x5a});
  wire::RelayHeader{dst, src}.emit(b);
  // A data message header so the payload parses as VL1 type 4.
  b[16] = std::byte{1};
  b[17] = std::byte{4};
  b[18] = std::byte{0};
  b[19] = std::byte{0};
  return b;
}

TEST(RootServer, RelaysUnchangedOnlyBetweenRegisteredNodesWithinARate) {
  Harness h;
  h.from_alice(emit_bytes(registration(alice(), alice(), 1)));
  const Bytes d = relayed(bob().address(), alice().address());
  std::vector<RootOutput> out;
  h.root.process_datagram(h.now, h.a_ep, d, out);  // bob not registered
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(h.root.stats().relay_unregistered_destination, 1U);

  h.from_bob(emit_bytes(registration(bob(), bob(), 1)));
  h.root.process_datagram(h.now, ep(66, 6666), d, out);  // alice's id, another endpoint
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(h.root.stats().relay_unregistered_source, 1U);
  h.root.process_datagram(h.now, h.a_ep, relayed(bob().address(), mallory().address()), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(h.root.stats().relay_unregistered_source, 2U);

  h.root.process_datagram(h.now, h.a_ep, d, out);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].to, h.b_ep);
  EXPECT_EQ(out[0].datagram, d);

  // The burst runs out; time refills it.
  out.clear();
  RootServerConfig c;
  for (std::uint32_t i = 0; i < c.relay_burst + 10; ++i)
    h.root.process_datagram(h.now, h.a_ep, d, out);
  EXPECT_EQ(out.size(), c.relay_burst - 1);
  EXPECT_EQ(h.root.stats().relay_rate_limited, 11U);
  out.clear();
  h.root.process_datagram(h.now + 1ms, h.a_ep, d, out);
  EXPECT_EQ(out.size(), 1U);
}

TEST(RootServer, ForgetsRegistrationsThatAreNotRenewed) {
  Harness h;
  h.from_alice(emit_bytes(registration(alice(), alice(), 1)));
  std::vector<RootOutput> out;
  RootServerConfig c;
  h.root.poll(h.now + c.registration_lifetime, out);
  EXPECT_FALSE(h.root.lookup(h.now + c.registration_lifetime, alice().address()));
  EXPECT_EQ(h.root.stats().registrations_expired, 1U);
}

}  // namespace
}  // namespace weft::root
