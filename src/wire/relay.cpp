#include "wire/relay.hpp"

namespace weft::wire {

using V = RelayView;

Result<RelayView> RelayView::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(expect_header(bytes, MessageType::relay));
  if (bytes.size() < kHeaderSize + Header::kSize) return Error::truncated;
  auto dst = NodeId::from_bytes(field<kDestination, 5>(bytes));
  auto src = NodeId::from_bytes(field<kSource, 5>(bytes));
  if (!dst || !src) return Error::malformed;
  if (load_be16(field<kReserved, 2>(bytes)) != 0) return Error::malformed;
  auto inner = Header::parse(bytes.subspan(kHeaderSize));
  if (!inner) return Error::malformed;
  if (inner->type == MessageType::relay) return Error::malformed;
  return RelayView{bytes, *dst, *src, inner->type};
}

Result<RelayHeader> RelayHeader::parse(ByteSpan bytes) noexcept {
  auto v = RelayView::parse(bytes);
  if (!v) return v.error();
  return RelayHeader{v->destination(), v->source()};
}

void RelayHeader::emit(MutableByteSpan out) const noexcept {
  check_room(out, V::kHeaderSize);
  Header{MessageType::relay}.emit(out);
  put(field<V::kDestination, 5>(out), destination.to_bytes());
  put(field<V::kSource, 5>(out), source.to_bytes());
  store_be16(field<V::kReserved, 2>(out), 0);
}

}  // namespace weft::wire
