#pragma once

// Cookie reply (type 3), 64 bytes: a responder under load answers a handshake
// message with this instead of doing any Diffie-Hellman. docs/protocol.md §4.3.
//
//   0   4  header (version 1, type 3, reserved 0)
//   4   4  receiver_index    u32, the sender_index of the message answered
//   8  24  nonce             random XChaCha20-Poly1305 nonce
//  32  32  encrypted_cookie  XChaCha20-Poly1305(16-byte cookie), AD = mac1 answered

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"

namespace weft::wire {

class CookieReplyView {
 public:
  static constexpr std::size_t kReceiverIndex = 4;
  static constexpr std::size_t kNonce = 8;
  static constexpr std::size_t kEncryptedCookie = 32;
  static constexpr std::size_t kSize = 64;

  static Result<CookieReplyView> parse(ByteSpan bytes) noexcept;

  [[nodiscard]] std::uint32_t receiver_index() const noexcept {
    return load_be32(field<kReceiverIndex, 4>(b_));
  }
  [[nodiscard]] std::span<const std::byte, 24> nonce() const noexcept {
    return field<kNonce, 24>(b_);
  }
  [[nodiscard]] std::span<const std::byte, 32> encrypted_cookie() const noexcept {
    return field<kEncryptedCookie, 32>(b_);
  }

 private:
  explicit CookieReplyView(ByteSpan b) : b_(b) {}
  ByteSpan b_;
};

struct CookieReply {
  std::uint32_t receiver_index{0};
  ByteArray<24> nonce{};
  ByteArray<32> encrypted_cookie{};

  static Result<CookieReply> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return CookieReplyView::kSize; }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const CookieReply&) const = default;
};

}  // namespace weft::wire
