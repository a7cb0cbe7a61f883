#pragma once

// Handshake response (type 2), 92 bytes. docs/protocol.md §4.2.
//
//   0   4  header (version 1, type 2, reserved 0)
//   4   4  sender_index     u32, the responder's index: data to it carries this
//   8   4  receiver_index   u32, the initiator's sender_index being answered
//  12  32  ephemeral        X25519 public key, in clear
//  44  16  encrypted_empty  AEAD of the empty string (the responder's proof)
//  60  16  mac1             keyed BLAKE2b over bytes [0, 60)
//  76  16  mac2             keyed BLAKE2b over bytes [0, 76) with a cookie, or zero

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"

namespace weft::wire {

class ResponseView {
 public:
  static constexpr std::size_t kSenderIndex = 4;
  static constexpr std::size_t kReceiverIndex = 8;
  static constexpr std::size_t kEphemeral = 12;
  static constexpr std::size_t kEncryptedEmpty = 44;
  static constexpr std::size_t kMac1 = 60;
  static constexpr std::size_t kMac2 = 76;
  static constexpr std::size_t kSize = 92;

  static Result<ResponseView> parse(ByteSpan bytes) noexcept;

  [[nodiscard]] std::uint32_t sender_index() const noexcept {
    return load_be32(field<kSenderIndex, 4>(b_));
  }
  [[nodiscard]] std::uint32_t receiver_index() const noexcept {
    return load_be32(field<kReceiverIndex, 4>(b_));
  }
  [[nodiscard]] std::span<const std::byte, 32> ephemeral() const noexcept {
    return field<kEphemeral, 32>(b_);
  }
  [[nodiscard]] std::span<const std::byte, 16> encrypted_empty() const noexcept {
    return field<kEncryptedEmpty, 16>(b_);
  }
  [[nodiscard]] std::span<const std::byte, 16> mac1() const noexcept {
    return field<kMac1, 16>(b_);
  }
  [[nodiscard]] std::span<const std::byte, 16> mac2() const noexcept {
    return field<kMac2, 16>(b_);
  }
  [[nodiscard]] ByteSpan mac1_input() const noexcept { return b_.first(kMac1); }
  [[nodiscard]] ByteSpan mac2_input() const noexcept { return b_.first(kMac2); }
  [[nodiscard]] ByteSpan bytes() const noexcept { return b_; }

 private:
  explicit ResponseView(ByteSpan b) : b_(b) {}
  ByteSpan b_;
};

struct Response {
  std::uint32_t sender_index{0};
  std::uint32_t receiver_index{0};
  ByteArray<32> ephemeral{};
  ByteArray<16> encrypted_empty{};
  ByteArray<16> mac1{};
  ByteArray<16> mac2{};

  static Result<Response> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return ResponseView::kSize; }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const Response&) const = default;
};

}  // namespace weft::wire
