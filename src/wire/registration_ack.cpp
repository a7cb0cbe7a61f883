#include "wire/registration_ack.hpp"

#include "wire/inner.hpp"

namespace weft::wire {

using V = RegistrationAckView;

Result<RegistrationAckView> RegistrationAckView::parse(ByteSpan plaintext) noexcept {
  if (plaintext.empty() || plaintext[0] != static_cast<std::byte>(InnerType::registration_ack))
    return Error::malformed;
  if (plaintext.size() < kObserved) return Error::truncated;
  if (!all_zero(plaintext.subspan(1, 3))) return Error::malformed;
  auto e = Endpoint::parse(plaintext.subspan(kObserved));
  if (!e) return e.error();
  if (plaintext.size() > kObserved + e->buffer_len()) return Error::too_large;
  return RegistrationAckView{plaintext, *e};
}

Result<RegistrationAck> RegistrationAck::parse(ByteSpan plaintext) noexcept {
  auto v = RegistrationAckView::parse(plaintext);
  if (!v) return v.error();
  return RegistrationAck{v->timestamp(), v->observed()};
}

void RegistrationAck::emit(MutableByteSpan out) const noexcept {
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(InnerType::registration_ack);
  out[1] = out[2] = out[3] = std::byte{0};
  store_be64(field<V::kTimestamp, 8>(out), timestamp);
  observed.emit(out.subspan(V::kObserved));
}

}  // namespace weft::wire
