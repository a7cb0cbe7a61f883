#include "crypto/packet_cipher.hpp"

#include <climits>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>

#include "base/assert.hpp"

namespace weft::crypto {

namespace {

ByteArray<12> nonce_of(std::uint64_t counter) noexcept {
  ByteArray<12> n{};
  store_be64(std::span<std::byte, 12>(n).last<8>(), counter);
  return n;
}

int len_of(std::size_t n) noexcept { return n > INT_MAX ? -1 : static_cast<int>(n); }

// Gets or sets the GCM tag through the provider's parameters directly: the
// EVP_CIPHER_CTX_ctrl route builds the same parameter and more around it, per
// packet.
bool tag_param(EVP_CIPHER_CTX* ctx, MutableByteSpan tag, bool set) noexcept {
  std::array<OSSL_PARAM, 2> params{
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag.data(), tag.size()),
      OSSL_PARAM_construct_end()};
  return (set ? EVP_CIPHER_CTX_set_params(ctx, params.data())
              : EVP_CIPHER_CTX_get_params(ctx, params.data())) == 1;
}

}  // namespace

void PacketCipher::Free::operator()(evp_cipher_ctx_st* ctx) const noexcept {
  EVP_CIPHER_CTX_free(ctx);
}

Result<PacketCipher> PacketCipher::create(const Key32& key, Direction direction) noexcept {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return Error::internal;
  PacketCipher c{ctx, direction};
  const int ok =
      direction == Direction::seal
          ? EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, as_uchar(key.span()), nullptr)
          : EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, as_uchar(key.span()), nullptr);
  if (ok != 1) return Error::internal;
  return c;
}

Result<void> PacketCipher::seal(std::uint64_t counter, ByteSpan ad, ByteSpan plaintext,
                                MutableByteSpan out) noexcept {
  WEFT_CHECK(direction_ == Direction::seal && out.size() == plaintext.size() + kTagSize);
  const auto nonce = nonce_of(counter);
  EVP_CIPHER_CTX* ctx = ctx_.get();
  int n = 0;
  int fin = 0;
  if (len_of(plaintext.size()) < 0 || len_of(ad.size()) < 0) return Error::too_large;
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, as_uchar(ByteSpan(nonce))) != 1 ||
      EVP_EncryptUpdate(ctx, nullptr, &n, as_uchar(ad), len_of(ad.size())) != 1 ||
      EVP_EncryptUpdate(ctx, as_uchar(out), &n, as_uchar(plaintext), len_of(plaintext.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx, as_uchar(out) + n, &fin) != 1 ||
      !tag_param(ctx, out.subspan(plaintext.size()), false))
    return Error::internal;
  return {};
}

Result<void> PacketCipher::open(std::uint64_t counter, ByteSpan ad, ByteSpan ciphertext,
                                MutableByteSpan out) noexcept {
  WEFT_CHECK(direction_ == Direction::open && ciphertext.size() >= kTagSize &&
             out.size() == ciphertext.size() - kTagSize);
  if (len_of(ciphertext.size()) < 0 || len_of(ad.size()) < 0) return Error::too_large;
  const auto nonce = nonce_of(counter);
  // The tag is copied out first: opening in place overwrites the ciphertext.
  ByteArray<kTagSize> tag{};
  const auto tag_in = ciphertext.subspan(out.size());
  std::copy(tag_in.begin(), tag_in.end(), tag.begin());
  EVP_CIPHER_CTX* ctx = ctx_.get();
  int n = 0;
  int fin = 0;
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, as_uchar(ByteSpan(nonce))) != 1 ||
      EVP_DecryptUpdate(ctx, nullptr, &n, as_uchar(ad), len_of(ad.size())) != 1 ||
      EVP_DecryptUpdate(ctx, as_uchar(out), &n, as_uchar(ciphertext.first(out.size())),
                        len_of(out.size())) != 1 ||
      !tag_param(ctx, tag, true))
    return Error::internal;
  if (EVP_DecryptFinal_ex(ctx, as_uchar(out) + n, &fin) != 1) return Error::verification_failed;
  return {};
}

}  // namespace weft::crypto
