#include "wire/initiation.hpp"

#include "wire/header.hpp"

namespace weft::wire {

using V = InitiationView;

Result<InitiationView> InitiationView::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(expect_header(bytes, MessageType::initiation));
  if (bytes.size() < kSize) return Error::truncated;
  if (bytes.size() > kSize) return Error::too_large;
  return InitiationView{bytes};
}

Result<Initiation> Initiation::parse(ByteSpan bytes) noexcept {
  auto v = InitiationView::parse(bytes);
  if (!v) return v.error();
  return Initiation{v->sender_index(),
                    to_array(v->ephemeral()),
                    to_array(v->encrypted_static()),
                    to_array(v->encrypted_timestamp()),
                    to_array(v->mac1()),
                    to_array(v->mac2())};
}

void Initiation::emit(MutableByteSpan out) const noexcept {
  check_room(out, V::kSize);
  Header{MessageType::initiation}.emit(out);
  store_be32(field<V::kSenderIndex, 4>(out), sender_index);
  put(field<V::kEphemeral, 32>(out), ephemeral);
  put(field<V::kEncryptedStatic, V::kEncryptedStaticLen>(out), encrypted_static);
  put(field<V::kEncryptedTimestamp, V::kEncryptedTimestampLen>(out), encrypted_timestamp);
  put(field<V::kMac1, 16>(out), mac1);
  put(field<V::kMac2, 16>(out), mac2);
}

}  // namespace weft::wire
