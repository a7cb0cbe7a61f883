#include "crypto/identity.hpp"

#include <sodium.h>

#include "base/hex.hpp"
#include "crypto/address_derivation.hpp"
#include "crypto/identity_text.hpp"
#include "crypto/sodium.hpp"
#include "crypto/x25519.hpp"

namespace weft::crypto {

namespace {
constexpr std::size_t kSecretHex = 128;
}  // namespace

Identity::Identity(PublicIdentity pub, const ByteArray<64>& sign_sk, const ByteArray<32>& kx_sk)
    : public_(pub), sign_sk_(sign_sk), kx_sk_(kx_sk) {}

Identity::Identity(Identity&& other) noexcept
    : public_(other.public_), sign_sk_(other.sign_sk_), kx_sk_(other.kx_sk_) {
  other.wipe();
}

Identity& Identity::operator=(Identity&& other) noexcept {
  if (this != &other) {
    public_ = other.public_;
    sign_sk_ = other.sign_sk_;
    kx_sk_ = other.kx_sk_;
    other.wipe();
  }
  return *this;
}

Identity::~Identity() { wipe(); }

void Identity::wipe() noexcept {
  sodium_memzero(sign_sk_.data(), sign_sk_.size());
  sodium_memzero(kx_sk_.data(), kx_sk_.size());
}

std::optional<Identity> Identity::adopt(const PublicKey& sign_pk, ByteArray<64>& sign_sk,
                                        const PublicKey& kx_pk, ByteArray<32>& kx_sk) {
  std::optional<Identity> out;
  if (auto address = AddressDerivation::derive(sign_pk, kx_pk))
    out.emplace(Identity{PublicIdentity{*address, sign_pk, kx_pk}, sign_sk, kx_sk});
  sodium_memzero(sign_sk.data(), sign_sk.size());
  sodium_memzero(kx_sk.data(), kx_sk.size());
  return out;
}

Identity Identity::generate() {
  ensure_sodium();
  while (true) {
    PublicKey sign_pk{};
    PublicKey kx_pk{};
    ByteArray<64> sign_sk{};
    ByteArray<32> kx_sk{};
    crypto_sign_keypair(as_uchar(MutableByteSpan(sign_pk)), as_uchar(MutableByteSpan(sign_sk)));
    crypto_box_keypair(as_uchar(MutableByteSpan(kx_pk)), as_uchar(MutableByteSpan(kx_sk)));
    if (auto id = adopt(sign_pk, sign_sk, kx_pk, kx_sk)) return std::move(*id);
  }
}

Identity Identity::generate(Rng& rng) {
  ensure_sodium();
  while (true) {
    PublicKey sign_pk{};
    PublicKey kx_pk{};
    ByteArray<64> sign_sk{};
    ByteArray<32> kx_sk{};
    ByteArray<32> seed = rng.bytes<32>();
    crypto_sign_seed_keypair(as_uchar(MutableByteSpan(sign_pk)), as_uchar(MutableByteSpan(sign_sk)),
                             as_uchar(ByteSpan(seed)));
    seed = rng.bytes<32>();
    crypto_box_seed_keypair(as_uchar(MutableByteSpan(kx_pk)), as_uchar(MutableByteSpan(kx_sk)),
                            as_uchar(ByteSpan(seed)));
    sodium_memzero(seed.data(), seed.size());
    if (auto id = adopt(sign_pk, sign_sk, kx_pk, kx_sk)) return std::move(*id);
  }
}

Result<Identity> Identity::parse(std::string_view text) {
  ensure_sodium();
  auto fields = IdentityText::split(text);
  if (!fields) return fields.error();
  auto parts = IdentityText::decode_public(*fields);
  if (!parts) return parts.error();
  if (!fields->has_secret) return Error::not_found;
  if (fields->secret.size() != kSecretHex) {
    const bool hex_only =
        fields->secret.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
    return fields->secret.size() < kSecretHex && hex_only ? Error::truncated : Error::malformed;
  }

  ByteArray<32> seed{};
  ByteArray<32> kx_sk{};
  if (!from_hex(fields->secret.substr(0, 64), seed) || !from_hex(fields->secret.substr(64), kx_sk))
    return Error::malformed;

  // The secrets must reproduce the public keys, or the file was tampered with.
  PublicKey sign_pk{};
  ByteArray<64> sign_sk{};
  PublicKey kx_pk{};
  crypto_sign_seed_keypair(as_uchar(MutableByteSpan(sign_pk)), as_uchar(MutableByteSpan(sign_sk)),
                           as_uchar(ByteSpan(seed)));
  crypto_scalarmult_base(as_uchar(MutableByteSpan(kx_pk)), as_uchar(ByteSpan(kx_sk)));
  sodium_memzero(seed.data(), seed.size());
  Result<Identity> out = Error::verification_failed;
  if (sign_pk == parts->sign_pk && kx_pk == parts->kx_pk) {
    if (auto pub = PublicIdentity::from_keys(parts->address, sign_pk, kx_pk))
      out = Identity{*pub, sign_sk, kx_sk};
  }
  sodium_memzero(sign_sk.data(), sign_sk.size());
  sodium_memzero(kx_sk.data(), kx_sk.size());
  return out;
}

std::string Identity::to_secret_string() const {
  // The Ed25519 seed is the first half of libsodium's secret key.
  return public_.to_string() + ":" + to_hex(ByteSpan(sign_sk_).first<32>()) + to_hex(kx_sk_);
}

Signature Identity::sign(ByteSpan message) const noexcept {
  Signature sig{};
  crypto_sign_detached(as_uchar(MutableByteSpan(sig)), nullptr, as_uchar(message), message.size(),
                       as_uchar(ByteSpan(sign_sk_)));
  return sig;
}

Result<ByteArray<32>> Identity::agree(const PublicKey& peer_kx_pk) const noexcept {
  count_x25519();
  ByteArray<32> shared{};
  if (crypto_scalarmult(as_uchar(MutableByteSpan(shared)), as_uchar(ByteSpan(kx_sk_)),
                        as_uchar(ByteSpan(peer_kx_pk))) != 0)
    return Error::verification_failed;
  return shared;
}

}  // namespace weft::crypto
