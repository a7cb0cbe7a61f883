#pragma once

// Checking that a pair of public keys derives an address costs one Argon2id
// (~1 ms, docs/protocol.md §1). Whoever meets many identities (a root, a node
// in a large network, the simulator's hundred nodes) checks each pair once.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/public_identity.hpp"

namespace weft::peer {

class IdentityVerifier {
 public:
  virtual ~IdentityVerifier() = default;
  // The identity these keys derive; Error::verification_failed if they fail
  // the address proof of work.
  virtual Result<crypto::PublicIdentity> verify(const crypto::PublicKey& signing_key,
                                                const crypto::PublicKey& agreement_key) = 0;
};

// Remembers the outcome for up to `capacity` key pairs (successes and
// failures); when full it forgets everything and starts again, which bounds
// memory and costs at worst one derivation per pair again.
class IdentityCache final : public IdentityVerifier {
 public:
  explicit IdentityCache(std::size_t capacity = 4096) : capacity_(capacity) {}
  Result<crypto::PublicIdentity> verify(const crypto::PublicKey& signing_key,
                                        const crypto::PublicKey& agreement_key) override;
  [[nodiscard]] std::uint64_t derivations() const noexcept { return derivations_; }

 private:
  std::size_t capacity_;
  std::map<ByteArray<64>, std::optional<crypto::PublicIdentity>> known_;
  std::uint64_t derivations_{0};
};

// The identity a peer record names, checked: its keys must derive its address.
// `verifier` may be null (then every call derives).
Result<crypto::PublicIdentity> verify_identity(IdentityVerifier* verifier, NodeId address,
                                               const crypto::PublicKey& signing_key,
                                               const crypto::PublicKey& agreement_key);

}  // namespace weft::peer
