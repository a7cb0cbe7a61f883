#pragma once

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/public_identity.hpp"
#include "crypto/secret.hpp"

namespace weft::crypto {

// An ephemeral X25519 key pair, made from 32 random bytes the caller supplies
// (crypto::Rng), so that tests and the simulator are deterministic.
struct EphemeralKey {
  Key32 secret;
  PublicKey public_key{};

  static EphemeralKey from_seed(const ByteArray<32>& random) noexcept;
};

// X25519(secret, public); Error::verification_failed for a low-order point.
Result<Key32> x25519(const Key32& secret, const PublicKey& peer) noexcept;

// How many X25519 operations this process has done (every one: handshakes and
// Identity::agree). The expensive step a handshake flood tries to force, counted
// so a test can bound it. Relaxed atomic; read as a difference.
std::uint64_t x25519_operations() noexcept;
void count_x25519() noexcept;

}  // namespace weft::crypto
