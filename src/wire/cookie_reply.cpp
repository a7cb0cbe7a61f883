#include "wire/cookie_reply.hpp"

#include "wire/header.hpp"

namespace weft::wire {

using V = CookieReplyView;

Result<CookieReplyView> CookieReplyView::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(expect_header(bytes, MessageType::cookie_reply));
  if (bytes.size() < kSize) return Error::truncated;
  if (bytes.size() > kSize) return Error::too_large;
  return CookieReplyView{bytes};
}

Result<CookieReply> CookieReply::parse(ByteSpan bytes) noexcept {
  auto v = CookieReplyView::parse(bytes);
  if (!v) return v.error();
  return CookieReply{v->receiver_index(), to_array(v->nonce()), to_array(v->encrypted_cookie())};
}

void CookieReply::emit(MutableByteSpan out) const noexcept {
  check_room(out, V::kSize);
  Header{MessageType::cookie_reply}.emit(out);
  store_be32(field<V::kReceiverIndex, 4>(out), receiver_index);
  put(field<V::kNonce, 24>(out), nonce);
  put(field<V::kEncryptedCookie, 32>(out), encrypted_cookie);
}

}  // namespace weft::wire
