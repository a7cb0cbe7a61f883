#pragma once

// The handshake math: Noise IK (pre-message "<- s", then "-> e, es, s, ss" and
// "<- e, ee, se") over X25519, BLAKE2b and ChaCha20-Poly1305, WireGuard's shape
// without its pre-shared key. Pure computation: the caller supplies ephemeral
// randomness and timestamps and moves the bytes (peer/ builds the messages with
// wire/). docs/protocol.md §4 is the specification; this file implements it.
//
// Every session is bound to the full public keys of both sides: the responder's
// signing and agreement keys are hashed into h before the first message, and the
// initiator's are the encrypted static payload, which is hashed too, so both
// transport keys depend on all four keys and on both ephemerals.

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/identity.hpp"
#include "crypto/public_identity.hpp"
#include "crypto/secret.hpp"

namespace weft::crypto {

inline constexpr std::size_t kEncryptedStaticLen = 64 + 16;
inline constexpr std::size_t kEncryptedTimestampLen = 8 + 16;

// Transport keys of one session, from one side's point of view.
struct TransportKeys {
  Key32 send;
  Key32 receive;
};

// The chaining key and hash carried between handshake messages.
struct HandshakeHash {
  Key32 ck;
  ByteArray<32> h{};
};

struct InitiationPayload {
  PublicKey ephemeral{};
  ByteArray<kEncryptedStaticLen> encrypted_static{};
  ByteArray<kEncryptedTimestampLen> encrypted_timestamp{};
};

struct ResponsePayload {
  PublicKey ephemeral{};
  ByteArray<16> encrypted_empty{};
};

class NoiseIk {
 public:
  // The initiator's state between sending the initiation and receiving the response.
  struct Initiator {
    HandshakeHash hash;
    Key32 ephemeral_secret;
    PublicIdentity peer;
  };

  // What the responder learned from a valid initiation. The initiator's keys are
  // authenticated (it holds the agreement secret) but its address derivation is
  // not checked here: that is the caller's policy (1 ms of Argon2id).
  struct Consumed {
    HandshakeHash hash;
    PublicKey peer_ephemeral{};
    PublicKey peer_signing_key{};
    PublicKey peer_agreement_key{};
    std::uint64_t timestamp{0};
  };

  // Builds the initiation's cryptographic fields (2 X25519 + 1 for the ephemeral).
  static Result<Initiator> initiate(const Identity& self, const PublicIdentity& peer,
                                    const ByteArray<32>& ephemeral_random, std::uint64_t timestamp,
                                    InitiationPayload& out) noexcept;

  // The responder's side of message 1 (2 X25519). Error::verification_failed if
  // it was not made for our keys or was tampered with.
  static Result<Consumed> consume_initiation(const Identity& self,
                                             const InitiationPayload& in) noexcept;

  // Message 2 and the responder's transport keys (3 X25519).
  static Result<TransportKeys> respond(const Consumed& consumed,
                                       const ByteArray<32>& ephemeral_random,
                                       ResponsePayload& out) noexcept;

  // The initiator's side of message 2 (2 X25519) and its transport keys.
  static Result<TransportKeys> consume_response(const Identity& self, const Initiator& state,
                                                const ResponsePayload& in) noexcept;

  // Keys of the handshake MACs and of cookie replies, derived from the public
  // keys of the node that checks them (docs/protocol.md §4.5).
  static Key32 mac1_key(const PublicIdentity& receiver) noexcept;
  static Key32 cookie_key(const PublicIdentity& receiver) noexcept;
};

}  // namespace weft::crypto
