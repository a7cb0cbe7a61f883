#include "peer/identity_verifier.hpp"

#include <algorithm>

namespace weft::peer {

Result<crypto::PublicIdentity> IdentityCache::verify(const crypto::PublicKey& signing_key,
                                                     const crypto::PublicKey& agreement_key) {
  ByteArray<64> key{};
  std::copy(signing_key.begin(), signing_key.end(), key.begin());
  std::copy(agreement_key.begin(), agreement_key.end(), key.begin() + 32);
  if (auto it = known_.find(key); it != known_.end()) {
    if (!it->second) return Error::verification_failed;
    return *it->second;
  }
  ++derivations_;
  auto id = crypto::PublicIdentity::from_keys(signing_key, agreement_key);
  if (known_.size() >= capacity_) known_.clear();
  if (id)
    known_.emplace(key, *id);
  else
    known_.emplace(key, std::nullopt);
  return id;
}

Result<crypto::PublicIdentity> verify_identity(IdentityVerifier* verifier, NodeId address,
                                               const crypto::PublicKey& signing_key,
                                               const crypto::PublicKey& agreement_key) {
  if (verifier == nullptr)
    return crypto::PublicIdentity::from_keys(address, signing_key, agreement_key);
  auto id = verifier->verify(signing_key, agreement_key);
  if (!id) return id.error();
  if (id->address() != address) return Error::verification_failed;
  return id;
}

}  // namespace weft::peer
