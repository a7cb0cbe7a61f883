#pragma once

#include <cstddef>
#include <optional>

#include "base/node_id.hpp"
#include "crypto/public_identity.hpp"

namespace weft::crypto {

// A node address is derived from its public keys with a memory-hard hash
// (Argon2id, 2 MiB, one pass) and a proof of work: the digest's first byte must be
// below kWorkThreshold, so about 16 key pairs are tried per identity made.
// Checking an address costs one hash (~0.9 ms here); choosing one costs, on
// average, 2^40 * 16 hashes of 2 MiB each (~500 core-years on this machine).
// docs/protocol.md gives the measured figures.
struct AddressDerivation {
  static constexpr std::size_t kMemoryBytes = 2 * 1024 * 1024;
  static constexpr unsigned kWorkThreshold = 16;

  // The address the keys derive, or nullopt if the keys fail the proof of work
  // or derive a reserved address.
  static std::optional<NodeId> derive(const PublicKey& sign_pk, const PublicKey& kx_pk);
};

}  // namespace weft::crypto
