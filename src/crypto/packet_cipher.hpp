#pragma once

// The data plane's AEAD: AES-256-GCM from OpenSSL 3, chosen by measurement
// (docs/protocol.md §5.4, bench/aead_bench.cpp). One object per key and
// direction holds a keyed EVP_CIPHER_CTX, made once when the session is made;
// per packet only the nonce changes. Nonce = 4 zero bytes ‖ counter (u64 BE).
// Sealing and opening work in place (out may be the same memory as in).

#include <cstdint>
#include <memory>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/secret.hpp"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX; its header stays in the .cpp

namespace weft::crypto {

class PacketCipher {
 public:
  enum class Direction : std::uint8_t { seal, open };
  static constexpr std::size_t kTagSize = 16;

  // Error::internal if OpenSSL cannot make the context (out of memory).
  static Result<PacketCipher> create(const Key32& key, Direction direction) noexcept;

  // out.size() == plaintext.size() + kTagSize. The counter must never repeat
  // under one key: the session's counter guarantees it.
  Result<void> seal(std::uint64_t counter, ByteSpan ad, ByteSpan plaintext,
                    MutableByteSpan out) noexcept;
  // out.size() == ciphertext.size() - kTagSize; Error::verification_failed on a
  // bad tag (out is then garbage the caller must not use).
  Result<void> open(std::uint64_t counter, ByteSpan ad, ByteSpan ciphertext,
                    MutableByteSpan out) noexcept;

  [[nodiscard]] Direction direction() const noexcept { return direction_; }

 private:
  struct Free {
    void operator()(evp_cipher_ctx_st* ctx) const noexcept;
  };
  PacketCipher(evp_cipher_ctx_st* ctx, Direction d) : ctx_(ctx), direction_(d) {}

  std::unique_ptr<evp_cipher_ctx_st, Free> ctx_;
  Direction direction_;
};

}  // namespace weft::crypto
