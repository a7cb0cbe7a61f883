#include "crypto/noise_ik.hpp"

#include <string_view>

#include "crypto/blake2b.hpp"
#include "crypto/handshake_aead.hpp"
#include "crypto/x25519.hpp"

namespace weft::crypto {

namespace {

constexpr std::string_view kConstruction = "Weft_IK_25519_ChaChaPoly_BLAKE2b_v1";
constexpr std::string_view kIdentifier = "weft.vl1 handshake v1";
constexpr std::string_view kLabelMac1 = "mac1----";
constexpr std::string_view kLabelCookie = "cookie--";

// h and ck before the first message: bound to the responder's full public keys.
HandshakeHash initial(const PublicIdentity& responder) noexcept {
  HandshakeHash s;
  s.ck = Key32{hash({as_bytes(kConstruction)})};
  s.h = hash({s.ck.span(), as_bytes(kIdentifier)});
  s.h = hash({s.h, responder.signing_key(), responder.agreement_key()});
  return s;
}

void mix_hash(HandshakeHash& s, ByteSpan data) noexcept { s.h = hash({s.h, data}); }

// ck, k = KDF2(ck, dh)
Key32 mix_key(HandshakeHash& s, const Key32& dh) noexcept {
  auto [ck, k] = kdf2(s.ck, dh.span());
  s.ck = std::move(ck);
  return std::move(k);
}

// Moves a shared secret into a Key32 and wipes the plain array it came in.
Key32 as_key(ByteArray<32>& raw) noexcept {
  Key32 k{raw};
  wipe(raw);
  return k;
}

TransportKeys split(const HandshakeHash& s, bool initiator) noexcept {
  auto [first, second] = kdf2(s.ck, {});
  if (initiator) return {std::move(first), std::move(second)};
  return {std::move(second), std::move(first)};
}

}  // namespace

Result<NoiseIk::Initiator> NoiseIk::initiate(const Identity& self, const PublicIdentity& peer,
                                             const ByteArray<32>& ephemeral_random,
                                             std::uint64_t timestamp,
                                             InitiationPayload& out) noexcept {
  HandshakeHash s = initial(peer);
  EphemeralKey e = EphemeralKey::from_seed(ephemeral_random);
  out.ephemeral = e.public_key;
  mix_hash(s, e.public_key);
  s.ck = kdf1(s.ck, e.public_key);

  auto es = x25519(e.secret, peer.agreement_key());
  if (!es) return es.error();
  Key32 k = mix_key(s, *es);
  const auto& me = self.public_identity();
  ByteArray<64> statics{};
  std::copy(me.signing_key().begin(), me.signing_key().end(), statics.begin());
  std::copy(me.agreement_key().begin(), me.agreement_key().end(), statics.begin() + 32);
  handshake_seal(k, s.h, statics, out.encrypted_static);
  mix_hash(s, out.encrypted_static);

  auto ss_raw = self.agree(peer.agreement_key());
  if (!ss_raw) return ss_raw.error();
  k = mix_key(s, as_key(*ss_raw));
  ByteArray<8> ts{};
  store_be64(ts, timestamp);
  handshake_seal(k, s.h, ts, out.encrypted_timestamp);
  mix_hash(s, out.encrypted_timestamp);

  return Initiator{std::move(s), std::move(e.secret), peer};
}

Result<NoiseIk::Consumed> NoiseIk::consume_initiation(const Identity& self,
                                                      const InitiationPayload& in) noexcept {
  HandshakeHash s = initial(self.public_identity());
  mix_hash(s, in.ephemeral);
  s.ck = kdf1(s.ck, in.ephemeral);

  auto es_raw = self.agree(in.ephemeral);
  if (!es_raw) return es_raw.error();
  Key32 k = mix_key(s, as_key(*es_raw));
  ByteArray<64> statics{};
  WEFT_TRY(handshake_open(k, s.h, in.encrypted_static, statics));
  mix_hash(s, in.encrypted_static);

  Consumed c;
  std::copy_n(statics.begin(), 32, c.peer_signing_key.begin());
  std::copy_n(statics.begin() + 32, 32, c.peer_agreement_key.begin());
  auto ss_raw = self.agree(c.peer_agreement_key);
  if (!ss_raw) return ss_raw.error();
  k = mix_key(s, as_key(*ss_raw));
  ByteArray<8> ts{};
  WEFT_TRY(handshake_open(k, s.h, in.encrypted_timestamp, ts));
  mix_hash(s, in.encrypted_timestamp);

  c.hash = std::move(s);
  c.peer_ephemeral = in.ephemeral;
  c.timestamp = load_be64(ts);
  return c;
}

Result<TransportKeys> NoiseIk::respond(const Consumed& consumed,
                                       const ByteArray<32>& ephemeral_random,
                                       ResponsePayload& out) noexcept {
  HandshakeHash s = consumed.hash;
  EphemeralKey e = EphemeralKey::from_seed(ephemeral_random);
  out.ephemeral = e.public_key;
  mix_hash(s, e.public_key);
  s.ck = kdf1(s.ck, e.public_key);

  auto ee = x25519(e.secret, consumed.peer_ephemeral);
  if (!ee) return ee.error();
  s.ck = kdf1(s.ck, ee->span());
  auto se = x25519(e.secret, consumed.peer_agreement_key);
  if (!se) return se.error();
  const Key32 k = mix_key(s, *se);
  handshake_seal(k, s.h, {}, out.encrypted_empty);
  mix_hash(s, out.encrypted_empty);
  return split(s, false);
}

Result<TransportKeys> NoiseIk::consume_response(const Identity& self, const Initiator& state,
                                                const ResponsePayload& in) noexcept {
  HandshakeHash s = state.hash;
  mix_hash(s, in.ephemeral);
  s.ck = kdf1(s.ck, in.ephemeral);

  auto ee = x25519(state.ephemeral_secret, in.ephemeral);
  if (!ee) return ee.error();
  s.ck = kdf1(s.ck, ee->span());
  auto se_raw = self.agree(in.ephemeral);
  if (!se_raw) return se_raw.error();
  const Key32 k = mix_key(s, as_key(*se_raw));
  ByteArray<0> nothing{};
  WEFT_TRY(handshake_open(k, s.h, in.encrypted_empty, nothing));
  mix_hash(s, in.encrypted_empty);
  return split(s, true);
}

Key32 NoiseIk::mac1_key(const PublicIdentity& receiver) noexcept {
  return Key32{hash({as_bytes(kLabelMac1), receiver.signing_key(), receiver.agreement_key()})};
}

Key32 NoiseIk::cookie_key(const PublicIdentity& receiver) noexcept {
  return Key32{hash({as_bytes(kLabelCookie), receiver.signing_key(), receiver.agreement_key()})};
}

}  // namespace weft::crypto
