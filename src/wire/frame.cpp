#include "wire/frame.hpp"

#include "wire/field.hpp"
#include "wire/inner.hpp"

namespace weft::wire {

Result<FrameView> FrameView::parse(ByteSpan plaintext) noexcept {
  if (plaintext.empty() || plaintext[0] != static_cast<std::byte>(InnerType::frame))
    return Error::malformed;
  if (plaintext.size() <= kHeaderSize) return Error::truncated;
  return FrameView{plaintext};
}

void FrameHeader::emit(MutableByteSpan out) noexcept {
  check_room(out, FrameView::kHeaderSize);
  out[0] = static_cast<std::byte>(InnerType::frame);
}

}  // namespace weft::wire
