#include "wire/lookup_reply.hpp"

#include "wire/inner.hpp"

namespace weft::wire {

using V = LookupReplyView;

Result<LookupReplyView> LookupReplyView::parse(ByteSpan plaintext) {
  if (plaintext.empty() || plaintext[0] != static_cast<std::byte>(InnerType::lookup_reply))
    return Error::malformed;
  if (plaintext.size() < kBody + NodeId::kSize) return Error::truncated;
  if (!all_zero(plaintext.subspan(2, 2))) return Error::malformed;
  const auto status = std::to_integer<std::uint8_t>(plaintext[kStatus]);
  const ByteSpan body = plaintext.subspan(kBody);
  if (status == kNotFound) {
    if (body.size() > NodeId::kSize) return Error::too_large;
    auto a = NodeId::from_bytes(body.first<NodeId::kSize>());
    if (!a) return Error::malformed;
    return LookupReplyView{plaintext, *a, std::nullopt};
  }
  if (status != kFound) return Error::malformed;
  auto record = PeerRecord::parse(body);
  if (!record) return record.error();
  if (body.size() > record->buffer_len()) return Error::too_large;
  const NodeId a = record->address;
  return LookupReplyView{plaintext, a, std::move(*record)};
}

Result<LookupReply> LookupReply::parse(ByteSpan plaintext) {
  auto v = LookupReplyView::parse(plaintext);
  if (!v) return v.error();
  return LookupReply{v->request_id(), v->address(), v->record()};
}

void LookupReply::emit(MutableByteSpan out) const noexcept {
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(InnerType::lookup_reply);
  out[V::kStatus] = std::byte{record ? V::kFound : V::kNotFound};
  out[2] = out[3] = std::byte{0};
  store_be32(field<V::kRequestId, 4>(out), request_id);
  if (record) {
    record->emit(out.subspan(V::kBody));
  } else {
    put(out.subspan(V::kBody).first<NodeId::kSize>(), address.to_bytes());
  }
}

}  // namespace weft::wire
