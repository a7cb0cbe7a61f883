#include "crypto/address_derivation.hpp"

#include <sodium.h>

#include "base/assert.hpp"
#include "crypto/sodium.hpp"

namespace weft::crypto {

namespace {
// Domain separation: a fixed salt no other Argon2 use in Weft shares.
constexpr char kSalt[crypto_pwhash_SALTBYTES + 1] = "weft.address.v1!";
}  // namespace

std::optional<NodeId> AddressDerivation::derive(const PublicKey& sign_pk, const PublicKey& kx_pk) {
  ensure_sodium();
  ByteArray<64> input{};
  std::copy(sign_pk.begin(), sign_pk.end(), input.begin());
  std::copy(kx_pk.begin(), kx_pk.end(), input.begin() + 32);
  ByteArray<64> digest{};
  const int rc = crypto_pwhash(as_uchar(MutableByteSpan(digest)), digest.size(),
                               as_chars(input).data(), input.size(),
                               as_uchar(as_bytes(std::string_view(kSalt, crypto_pwhash_SALTBYTES))),
                               1, kMemoryBytes, crypto_pwhash_ALG_ARGON2ID13);
  // Fails only if 2 MiB cannot be allocated; treat the keys as unusable then.
  if (rc != 0) return std::nullopt;
  if (std::to_integer<unsigned>(digest[0]) >= kWorkThreshold) return std::nullopt;
  auto id = NodeId::from_bytes(std::span<const std::byte>(digest).last<NodeId::kSize>());
  if (!id) return std::nullopt;
  return *id;
}

}  // namespace weft::crypto
