#include "crypto/public_identity.hpp"

#include <sodium.h>

#include "base/hex.hpp"
#include "crypto/address_derivation.hpp"
#include "crypto/blake2b.hpp"
#include "crypto/identity_text.hpp"
#include "crypto/sodium.hpp"

namespace weft::crypto {

Result<PublicIdentity> PublicIdentity::from_keys(NodeId address, const PublicKey& sign_pk,
                                                 const PublicKey& kx_pk) {
  const auto derived = AddressDerivation::derive(sign_pk, kx_pk);
  if (!derived || *derived != address) return Error::verification_failed;
  return PublicIdentity{address, sign_pk, kx_pk};
}

Result<PublicIdentity> PublicIdentity::from_keys(const PublicKey& sign_pk,
                                                 const PublicKey& kx_pk) {
  const auto derived = AddressDerivation::derive(sign_pk, kx_pk);
  if (!derived) return Error::verification_failed;
  return PublicIdentity{*derived, sign_pk, kx_pk};
}

Result<PublicIdentity> PublicIdentity::parse(std::string_view text) {
  auto fields = IdentityText::split(text);
  if (!fields) return fields.error();
  if (fields->has_secret) return Error::malformed;  // a secret where a public one belongs
  auto parts = IdentityText::decode_public(*fields);
  if (!parts) return parts.error();
  return from_keys(parts->address, parts->sign_pk, parts->kx_pk);
}

std::string PublicIdentity::to_string() const {
  return address_.to_string() + ":" + std::string(kVersion) + ":" + to_hex(sign_pk_) +
         to_hex(kx_pk_);
}

ByteArray<32> PublicIdentity::fingerprint() const noexcept {
  return hash({as_bytes(std::string_view("weft.key.fingerprint.v1")), sign_pk_, kx_pk_});
}

bool PublicIdentity::verify(ByteSpan message, const Signature& signature) const noexcept {
  ensure_sodium();
  return crypto_sign_verify_detached(as_uchar(ByteSpan(signature)), as_uchar(message),
                                     message.size(), as_uchar(ByteSpan(sign_pk_))) == 0;
}

}  // namespace weft::crypto
