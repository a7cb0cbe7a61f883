#pragma once

// Inner fragment (0x02): a byte range of an inner message too large for one
// datagram. Fragments travel inside data messages, so only a peer holding the
// session keys can make the receiver reassemble. docs/protocol.md §5.3.
//
//   0  1  type 0x02
//   1  3  reserved      zero
//   4  4  message_id    u32, the same for every fragment of one message
//   8  4  total_length  u32, 1..kMaxInnerMessage
//  12  4  offset        u32, of this fragment's data within the message
//  16  n  data          n >= 1, offset + n <= total_length

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"

namespace weft::wire {

class FragmentView {
 public:
  static constexpr std::size_t kMessageId = 4;
  static constexpr std::size_t kTotalLength = 8;
  static constexpr std::size_t kOffset = 12;
  static constexpr std::size_t kHeaderSize = 16;

  // Error::truncated, Error::malformed (reserved bits, a range outside the
  // message), Error::too_large (total_length over kMaxInnerMessage).
  static Result<FragmentView> parse(ByteSpan plaintext) noexcept;

  [[nodiscard]] std::uint32_t message_id() const noexcept {
    return load_be32(field<kMessageId, 4>(b_));
  }
  [[nodiscard]] std::uint32_t total_length() const noexcept {
    return load_be32(field<kTotalLength, 4>(b_));
  }
  [[nodiscard]] std::uint32_t offset() const noexcept { return load_be32(field<kOffset, 4>(b_)); }
  [[nodiscard]] ByteSpan data() const noexcept { return b_.subspan(kHeaderSize); }

 private:
  explicit FragmentView(ByteSpan b) : b_(b) {}
  ByteSpan b_;
};

// The fragment header; the data follows it.
struct FragmentHeader {
  std::uint32_t message_id{0};
  std::uint32_t total_length{0};
  std::uint32_t offset{0};

  static Result<FragmentHeader> parse(ByteSpan plaintext) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return FragmentView::kHeaderSize; }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const FragmentHeader&) const = default;
};

}  // namespace weft::wire
