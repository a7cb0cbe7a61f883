#include "wire/data.hpp"

#include "wire/header.hpp"

namespace weft::wire {

using V = DataView;

Result<DataView> DataView::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(expect_header(bytes, MessageType::data));
  if (bytes.size() < kMinSize) return Error::truncated;
  return DataView{bytes};
}

Result<DataHeader> DataHeader::parse(ByteSpan bytes) noexcept {
  auto v = DataView::parse(bytes);
  if (!v) return v.error();
  return DataHeader{v->receiver_index(), v->counter()};
}

void DataHeader::emit(MutableByteSpan out) const noexcept {
  check_room(out, V::kHeaderSize);
  Header{MessageType::data}.emit(out);
  store_be32(field<V::kReceiverIndex, 4>(out), receiver_index);
  store_be64(field<V::kCounter, 8>(out), counter);
}

}  // namespace weft::wire
