#pragma once

// Inner frame (0x01): one whole VL2 message. docs/protocol.md §5.2.
//
//   0  1  type 0x01
//   1  n  payload  n >= 1

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft::wire {

class FrameView {
 public:
  static constexpr std::size_t kHeaderSize = 1;

  // Error::truncated for an empty payload, Error::malformed for another type.
  static Result<FrameView> parse(ByteSpan plaintext) noexcept;
  [[nodiscard]] ByteSpan payload() const noexcept { return b_.subspan(kHeaderSize); }

 private:
  explicit FrameView(ByteSpan b) : b_(b) {}
  ByteSpan b_;
};

// The one-byte frame header; the payload follows it.
struct FrameHeader {
  static constexpr std::size_t buffer_len() noexcept { return FrameView::kHeaderSize; }
  static void emit(MutableByteSpan out) noexcept;
};

}  // namespace weft::wire
