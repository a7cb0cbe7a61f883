#pragma once

// Transport data (type 4): the data plane. docs/protocol.md §5.
//
//   0   4  header (version 1, type 4, reserved 0)
//   4   4  receiver_index  u32, chosen by the receiver during the handshake
//   8   8  counter         u64, the AEAD nonce; never repeats under one key
//  16   n  ciphertext      AEAD(plaintext), n = plaintext length + 16 (tag)
//
// The 16 header bytes are the AEAD's associated data. An empty plaintext is a
// keepalive; otherwise the plaintext is an inner message (wire/inner.hpp).

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"

namespace weft::wire {

class DataView {
 public:
  static constexpr std::size_t kReceiverIndex = 4;
  static constexpr std::size_t kCounter = 8;
  static constexpr std::size_t kHeaderSize = 16;
  static constexpr std::size_t kTagSize = 16;
  static constexpr std::size_t kMinSize = kHeaderSize + kTagSize;

  // Error::truncated below kMinSize; header errors as Header::parse.
  static Result<DataView> parse(ByteSpan bytes) noexcept;

  [[nodiscard]] std::uint32_t receiver_index() const noexcept {
    return load_be32(field<kReceiverIndex, 4>(b_));
  }
  [[nodiscard]] std::uint64_t counter() const noexcept { return load_be64(field<kCounter, 8>(b_)); }
  // The associated data.
  [[nodiscard]] ByteSpan header() const noexcept { return b_.first(kHeaderSize); }
  // Ciphertext and tag; at least kTagSize bytes.
  [[nodiscard]] ByteSpan ciphertext() const noexcept { return b_.subspan(kHeaderSize); }
  [[nodiscard]] std::size_t plaintext_len() const noexcept { return b_.size() - kMinSize; }

 private:
  explicit DataView(ByteSpan b) : b_(b) {}
  ByteSpan b_;
};

// The clear part of a data message; the ciphertext follows it.
struct DataHeader {
  std::uint32_t receiver_index{0};
  std::uint64_t counter{0};

  static Result<DataHeader> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return DataView::kHeaderSize; }
  // Size of the whole message carrying plaintext_len bytes.
  static constexpr std::size_t message_len(std::size_t plaintext_len) noexcept {
    return DataView::kMinSize + plaintext_len;
  }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const DataHeader&) const = default;
};

}  // namespace weft::wire
