#include "wire/fragment.hpp"

#include "wire/inner.hpp"

namespace weft::wire {

using V = FragmentView;

Result<FragmentView> FragmentView::parse(ByteSpan plaintext) noexcept {
  if (plaintext.empty() || plaintext[0] != static_cast<std::byte>(InnerType::fragment))
    return Error::malformed;
  if (plaintext.size() <= kHeaderSize) return Error::truncated;
  if (!all_zero(plaintext.subspan(1, 3))) return Error::malformed;
  const V v{plaintext};
  if (v.total_length() == 0) return Error::malformed;
  if (v.total_length() > kMaxInnerMessage) return Error::too_large;
  // 64-bit sum: offset and length are both attacker-chosen 32-bit values.
  if (std::uint64_t{v.offset()} + v.data().size() > v.total_length()) return Error::malformed;
  return v;
}

Result<FragmentHeader> FragmentHeader::parse(ByteSpan plaintext) noexcept {
  auto v = FragmentView::parse(plaintext);
  if (!v) return v.error();
  return FragmentHeader{v->message_id(), v->total_length(), v->offset()};
}

void FragmentHeader::emit(MutableByteSpan out) const noexcept {
  check_room(out, V::kHeaderSize);
  out[0] = static_cast<std::byte>(InnerType::fragment);
  out[1] = out[2] = out[3] = std::byte{0};
  store_be32(field<V::kMessageId, 4>(out), message_id);
  store_be32(field<V::kTotalLength, 4>(out), total_length);
  store_be32(field<V::kOffset, 4>(out), offset);
}

}  // namespace weft::wire
