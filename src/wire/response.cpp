#include "wire/response.hpp"

#include "wire/header.hpp"

namespace weft::wire {

using V = ResponseView;

Result<ResponseView> ResponseView::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(expect_header(bytes, MessageType::response));
  if (bytes.size() < kSize) return Error::truncated;
  if (bytes.size() > kSize) return Error::too_large;
  return ResponseView{bytes};
}

Result<Response> Response::parse(ByteSpan bytes) noexcept {
  auto v = ResponseView::parse(bytes);
  if (!v) return v.error();
  return Response{v->sender_index(),        v->receiver_index(),
                  to_array(v->ephemeral()), to_array(v->encrypted_empty()),
                  to_array(v->mac1()),      to_array(v->mac2())};
}

void Response::emit(MutableByteSpan out) const noexcept {
  check_room(out, V::kSize);
  Header{MessageType::response}.emit(out);
  store_be32(field<V::kSenderIndex, 4>(out), sender_index);
  store_be32(field<V::kReceiverIndex, 4>(out), receiver_index);
  put(field<V::kEphemeral, 32>(out), ephemeral);
  put(field<V::kEncryptedEmpty, 16>(out), encrypted_empty);
  put(field<V::kMac1, 16>(out), mac1);
  put(field<V::kMac2, 16>(out), mac2);
}

}  // namespace weft::wire
