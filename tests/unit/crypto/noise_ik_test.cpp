#include "crypto/noise_ik.hpp"

#include <gtest/gtest.h>

#include "crypto/blake2b.hpp"
#include "crypto/handshake_aead.hpp"
#include "crypto/x25519.hpp"
#include "unit/fixtures/identities.hpp"

namespace weft::crypto {
namespace {

using weft::testing::alice;
using weft::testing::bob;
using weft::testing::mallory;

template <std::size_t N>
ByteArray<N> filled(unsigned v) {
  ByteArray<N> a{};
  a.fill(static_cast<std::byte>(v));
  return a;
}

TEST(NoiseIk, HandshakeGivesMatchingTransportKeysBoundToBothIdentities) {
  InitiationPayload m1;
  auto init = NoiseIk::initiate(alice(), bob().public_identity(), filled<32>(1), 1000, m1);
  ASSERT_TRUE(init);
  auto consumed = NoiseIk::consume_initiation(bob(), m1);
  ASSERT_TRUE(consumed) << name(consumed.error());
  EXPECT_EQ(consumed->timestamp, 1000U);
  EXPECT_EQ(consumed->peer_signing_key, alice().public_identity().signing_key());
  EXPECT_EQ(consumed->peer_agreement_key, alice().public_identity().agreement_key());

  ResponsePayload m2;
  auto responder = NoiseIk::respond(*consumed, filled<32>(2), m2);
  ASSERT_TRUE(responder);
  auto initiator = NoiseIk::consume_response(alice(), *init, m2);
  ASSERT_TRUE(initiator) << name(initiator.error());
  EXPECT_EQ(initiator->send.bytes(), responder->receive.bytes());
  EXPECT_EQ(initiator->receive.bytes(), responder->send.bytes());
  EXPECT_NE(initiator->send.bytes(), initiator->receive.bytes());

  // Fresh ephemerals give fresh keys (forward secrecy rests on this).
  InitiationPayload m1b;
  auto init_b = NoiseIk::initiate(alice(), bob().public_identity(), filled<32>(3), 1001, m1b);
  auto consumed_b = NoiseIk::consume_initiation(bob(), m1b);
  ResponsePayload m2b;
  auto responder_b = NoiseIk::respond(*consumed_b, filled<32>(4), m2b);
  ASSERT_TRUE(responder_b);
  EXPECT_NE(responder_b->send.bytes(), responder->send.bytes());
}

TEST(NoiseIk, InitiationForAnotherResponderIsRejected) {
  // Alice believes Mallory's keys are Bob's: Bob cannot open it.
  InitiationPayload m1;
  ASSERT_TRUE(NoiseIk::initiate(alice(), mallory().public_identity(), filled<32>(1), 1, m1));
  auto r = NoiseIk::consume_initiation(bob(), m1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Error::verification_failed);
}

TEST(NoiseIk, EveryTamperedInitiationByteIsRejected) {
  InitiationPayload m1;
  ASSERT_TRUE(NoiseIk::initiate(alice(), bob().public_identity(), filled<32>(1), 1, m1));
  for (std::size_t i = 0; i < m1.ephemeral.size(); i += 7) {
    InitiationPayload t = m1;
    t.ephemeral[i] ^= std::byte{0x01};
    EXPECT_FALSE(NoiseIk::consume_initiation(bob(), t)) << "ephemeral " << i;
  }
  for (std::size_t i = 0; i < m1.encrypted_static.size(); i += 5) {
    InitiationPayload t = m1;
    t.encrypted_static[i] ^= std::byte{0x80};
    EXPECT_FALSE(NoiseIk::consume_initiation(bob(), t)) << "static " << i;
  }
  for (std::size_t i = 0; i < m1.encrypted_timestamp.size(); ++i) {
    InitiationPayload t = m1;
    t.encrypted_timestamp[i] ^= std::byte{0x02};
    EXPECT_FALSE(NoiseIk::consume_initiation(bob(), t)) << "timestamp " << i;
  }
}

TEST(NoiseIk, TamperedOrForeignResponseIsRejected) {
  InitiationPayload m1;
  auto init = NoiseIk::initiate(alice(), bob().public_identity(), filled<32>(1), 1, m1);
  auto consumed = NoiseIk::consume_initiation(bob(), m1);
  ResponsePayload m2;
  ASSERT_TRUE(NoiseIk::respond(*consumed, filled<32>(2), m2));
  ResponsePayload bad = m2;
  bad.encrypted_empty[3] ^= std::byte{1};
  EXPECT_FALSE(NoiseIk::consume_response(alice(), *init, bad));
  bad = m2;
  bad.ephemeral[0] ^= std::byte{1};
  EXPECT_FALSE(NoiseIk::consume_response(alice(), *init, bad));

  // Mallory answers Alice's initiation to Bob with her own keys: she cannot
  // read the initiation, so her response cannot verify.
  auto forged = NoiseIk::consume_initiation(mallory(), m1);
  EXPECT_FALSE(forged);
}

// The initiation written out from docs/protocol.md §4.4 with the crypto
// primitives, independently of NoiseIk, with the static payload and the key
// used for "ss" chosen by the caller.
InitiationPayload by_the_spec(const PublicIdentity& claimed, const Identity& ss_holder,
                              const PublicIdentity& responder, const ByteArray<32>& eph_seed,
                              std::uint64_t timestamp) {
  const auto b = [](std::string_view s) { return as_bytes(s); };
  Key32 ck{hash({b("Weft_IK_25519_ChaChaPoly_BLAKE2b_v1")})};
  ByteArray<32> h = hash({ck.span(), b("weft.vl1 handshake v1")});
  h = hash({h, responder.signing_key(), responder.agreement_key()});
  InitiationPayload out;
  EphemeralKey e = EphemeralKey::from_seed(eph_seed);
  out.ephemeral = e.public_key;
  h = hash({h, e.public_key});
  ck = kdf1(ck, e.public_key);
  auto [ck1, k1] = kdf2(ck, x25519(e.secret, responder.agreement_key()).value().span());
  ByteArray<64> statics{};
  std::copy(claimed.signing_key().begin(), claimed.signing_key().end(), statics.begin());
  std::copy(claimed.agreement_key().begin(), claimed.agreement_key().end(), statics.begin() + 32);
  handshake_seal(k1, h, statics, out.encrypted_static);
  h = hash({h, out.encrypted_static});
  const auto ss = ss_holder.agree(responder.agreement_key()).value();
  auto [ck2, k2] = kdf2(ck1, ss);
  ByteArray<8> ts{};
  store_be64(ts, timestamp);
  handshake_seal(k2, h, ts, out.encrypted_timestamp);
  return out;
}

TEST(NoiseIk, InitiationMatchesTheSpecByteForByte) {
  InitiationPayload ours;
  ASSERT_TRUE(NoiseIk::initiate(alice(), bob().public_identity(), filled<32>(7), 42, ours));
  const InitiationPayload spec =
      by_the_spec(alice().public_identity(), alice(), bob().public_identity(), filled<32>(7), 42);
  EXPECT_EQ(ours.ephemeral, spec.ephemeral);
  EXPECT_EQ(ours.encrypted_static, spec.encrypted_static);
  EXPECT_EQ(ours.encrypted_timestamp, spec.encrypted_timestamp);
}

// Message 2 and the transport keys from §4.4, continuing the responder's view of
// message 1 (recomputed here too), with the primitives alone.
TEST(NoiseIk, ResponseAndTransportKeysMatchTheSpec) {
  const auto b = [](std::string_view s) { return as_bytes(s); };
  const PublicIdentity& R = bob().public_identity();
  const PublicIdentity& I = alice().public_identity();
  InitiationPayload m1;
  auto init = NoiseIk::initiate(alice(), R, filled<32>(7), 42, m1);
  ASSERT_TRUE(init);
  auto consumed = NoiseIk::consume_initiation(bob(), m1);
  ASSERT_TRUE(consumed);
  ResponsePayload m2;
  auto responder = NoiseIk::respond(*consumed, filled<32>(8), m2);
  ASSERT_TRUE(responder);
  auto initiator = NoiseIk::consume_response(alice(), *init, m2);
  ASSERT_TRUE(initiator);

  // The chain through message 1, from the responder's side.
  Key32 ck{hash({b("Weft_IK_25519_ChaChaPoly_BLAKE2b_v1")})};
  ByteArray<32> h = hash({ck.span(), b("weft.vl1 handshake v1")});
  h = hash({h, R.signing_key(), R.agreement_key()});
  h = hash({h, m1.ephemeral});
  ck = kdf1(ck, m1.ephemeral);
  ck = kdf2(ck, bob().agree(m1.ephemeral).value()).first;
  h = hash({h, m1.encrypted_static});
  ck = kdf2(ck, bob().agree(I.agreement_key()).value()).first;
  h = hash({h, m1.encrypted_timestamp});
  // Message 2.
  const EphemeralKey e = EphemeralKey::from_seed(filled<32>(8));
  EXPECT_EQ(m2.ephemeral, e.public_key);
  h = hash({h, e.public_key});
  ck = kdf1(ck, e.public_key);
  ck = kdf1(ck, x25519(e.secret, m1.ephemeral).value().span());
  auto [ck2, k] = kdf2(ck, x25519(e.secret, I.agreement_key()).value().span());
  ByteArray<16> empty{};
  handshake_seal(k, h, {}, empty);
  EXPECT_EQ(m2.encrypted_empty, empty);
  auto [t_ir, t_ri] = kdf2(ck2, {});
  EXPECT_EQ(initiator->send.bytes(), t_ir.bytes());
  EXPECT_EQ(initiator->receive.bytes(), t_ri.bytes());
  EXPECT_EQ(responder->send.bytes(), t_ri.bytes());
  EXPECT_EQ(responder->receive.bytes(), t_ir.bytes());
}

TEST(NoiseIk, ClaimingAnotherNodesStaticKeyFails) {
  // Mallory claims Alice's keys but can only compute "ss" with her own secret.
  const InitiationPayload forged =
      by_the_spec(alice().public_identity(), mallory(), bob().public_identity(), filled<32>(9), 5);
  auto r = NoiseIk::consume_initiation(bob(), forged);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Error::verification_failed);
}

TEST(NoiseIk, MacAndCookieKeysDependOnTheReceiversFullKeys) {
  EXPECT_NE(NoiseIk::mac1_key(alice().public_identity()).bytes(),
            NoiseIk::mac1_key(bob().public_identity()).bytes());
  EXPECT_NE(NoiseIk::mac1_key(alice().public_identity()).bytes(),
            NoiseIk::cookie_key(alice().public_identity()).bytes());
}

TEST(NoiseIk, CountsX25519Operations) {
  const auto before = x25519_operations();
  InitiationPayload m1;
  ASSERT_TRUE(NoiseIk::initiate(alice(), bob().public_identity(), filled<32>(1), 1, m1));
  EXPECT_EQ(x25519_operations() - before, 3U);  // ephemeral public key, es, ss
  const auto mid = x25519_operations();
  ASSERT_TRUE(NoiseIk::consume_initiation(bob(), m1));
  EXPECT_EQ(x25519_operations() - mid, 2U);  // es, ss
}

}  // namespace
}  // namespace weft::crypto
