#include "crypto/handshake_aead.hpp"

#include <sodium.h>

#include "base/assert.hpp"
#include "crypto/sodium.hpp"

namespace weft::crypto {

namespace {
const ByteArray<crypto_aead_chacha20poly1305_ietf_NPUBBYTES> kZeroNonce{};
}  // namespace

void handshake_seal(const Key32& key, ByteSpan ad, ByteSpan plaintext,
                    MutableByteSpan out) noexcept {
  ensure_sodium();
  WEFT_CHECK(out.size() == plaintext.size() + kAeadTag);
  crypto_aead_chacha20poly1305_ietf_encrypt(as_uchar(out), nullptr, as_uchar(plaintext),
                                            plaintext.size(), as_uchar(ad), ad.size(), nullptr,
                                            as_uchar(ByteSpan(kZeroNonce)), as_uchar(key.span()));
}

Result<void> handshake_open(const Key32& key, ByteSpan ad, ByteSpan ciphertext,
                            MutableByteSpan out) noexcept {
  ensure_sodium();
  WEFT_CHECK(ciphertext.size() >= kAeadTag && out.size() == ciphertext.size() - kAeadTag);
  if (crypto_aead_chacha20poly1305_ietf_decrypt(
          as_uchar(out), nullptr, nullptr, as_uchar(ciphertext), ciphertext.size(), as_uchar(ad),
          ad.size(), as_uchar(ByteSpan(kZeroNonce)), as_uchar(key.span())) != 0)
    return Error::verification_failed;
  return {};
}

void cookie_seal(const Key32& key, std::span<const std::byte, 24> nonce, ByteSpan ad,
                 const ByteArray<16>& cookie, std::span<std::byte, 32> out) noexcept {
  ensure_sodium();
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      as_uchar(MutableByteSpan(out)), nullptr, as_uchar(ByteSpan(cookie)), cookie.size(),
      as_uchar(ad), ad.size(), nullptr, as_uchar(nonce), as_uchar(key.span()));
}

Result<ByteArray<16>> cookie_open(const Key32& key, std::span<const std::byte, 24> nonce,
                                  ByteSpan ad, std::span<const std::byte, 32> sealed) noexcept {
  ensure_sodium();
  ByteArray<16> cookie{};
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          as_uchar(MutableByteSpan(cookie)), nullptr, nullptr, as_uchar(ByteSpan(sealed)),
          sealed.size(), as_uchar(ad), ad.size(), as_uchar(nonce), as_uchar(key.span())) != 0)
    return Error::verification_failed;
  return cookie;
}

}  // namespace weft::crypto
