#pragma once

// Handshake initiation (type 1), 176 bytes. docs/protocol.md §4.1.
//
//   0   4  header (version 1, type 1, reserved 0)
//   4   4  sender_index        u32, the initiator's index for this handshake
//   8  32  ephemeral           X25519 public key, in clear
//  40  80  encrypted_static    AEAD(signing key ‖ agreement key), 64 + 16 tag
// 120  24  encrypted_timestamp AEAD(u64 timestamp), 8 + 16 tag
// 144  16  mac1                keyed BLAKE2b over bytes [0, 144)
// 160  16  mac2                keyed BLAKE2b over bytes [0, 160) with a cookie, or zero

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"

namespace weft::wire {

class InitiationView {
 public:
  static constexpr std::size_t kSenderIndex = 4;
  static constexpr std::size_t kEphemeral = 8;
  static constexpr std::size_t kEncryptedStatic = 40;
  static constexpr std::size_t kEncryptedStaticLen = 80;
  static constexpr std::size_t kEncryptedTimestamp = 120;
  static constexpr std::size_t kEncryptedTimestampLen = 24;
  static constexpr std::size_t kMac1 = 144;
  static constexpr std::size_t kMac2 = 160;
  static constexpr std::size_t kSize = 176;

  // Error::truncated/too_large unless exactly kSize bytes; header errors as Header::parse.
  static Result<InitiationView> parse(ByteSpan bytes) noexcept;

  [[nodiscard]] std::uint32_t sender_index() const noexcept {
    return load_be32(field<kSenderIndex, 4>(b_));
  }
  [[nodiscard]] std::span<const std::byte, 32> ephemeral() const noexcept {
    return field<kEphemeral, 32>(b_);
  }
  [[nodiscard]] std::span<const std::byte, kEncryptedStaticLen> encrypted_static() const noexcept {
    return field<kEncryptedStatic, kEncryptedStaticLen>(b_);
  }
  [[nodiscard]] std::span<const std::byte, kEncryptedTimestampLen> encrypted_timestamp()
      const noexcept {
    return field<kEncryptedTimestamp, kEncryptedTimestampLen>(b_);
  }
  [[nodiscard]] std::span<const std::byte, 16> mac1() const noexcept {
    return field<kMac1, 16>(b_);
  }
  [[nodiscard]] std::span<const std::byte, 16> mac2() const noexcept {
    return field<kMac2, 16>(b_);
  }
  // The bytes each MAC covers.
  [[nodiscard]] ByteSpan mac1_input() const noexcept { return b_.first(kMac1); }
  [[nodiscard]] ByteSpan mac2_input() const noexcept { return b_.first(kMac2); }
  [[nodiscard]] ByteSpan bytes() const noexcept { return b_; }

 private:
  explicit InitiationView(ByteSpan b) : b_(b) {}
  ByteSpan b_;
};

struct Initiation {
  std::uint32_t sender_index{0};
  ByteArray<32> ephemeral{};
  ByteArray<InitiationView::kEncryptedStaticLen> encrypted_static{};
  ByteArray<InitiationView::kEncryptedTimestampLen> encrypted_timestamp{};
  ByteArray<16> mac1{};
  ByteArray<16> mac2{};

  static Result<Initiation> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return InitiationView::kSize; }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const Initiation&) const = default;
};

}  // namespace weft::wire
