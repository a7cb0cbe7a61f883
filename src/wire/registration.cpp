#include "wire/registration.hpp"

#include "wire/inner.hpp"

namespace weft::wire {

using V = RegistrationView;

Result<RegistrationView> RegistrationView::parse(ByteSpan plaintext) {
  if (plaintext.empty() || plaintext[0] != static_cast<std::byte>(InnerType::registration))
    return Error::malformed;
  if (plaintext.size() < kRecord + PeerRecord::kEndpoints + kSignatureSize) return Error::truncated;
  if (!all_zero(plaintext.subspan(1, 3))) return Error::malformed;
  auto record = PeerRecord::parse(plaintext.subspan(kRecord));
  if (!record) return record.error();
  const std::size_t need = kRecord + record->buffer_len() + kSignatureSize;
  if (plaintext.size() < need) return Error::truncated;
  if (plaintext.size() > need) return Error::too_large;
  return RegistrationView{plaintext, std::move(*record)};
}

Result<Registration> Registration::parse(ByteSpan plaintext) {
  auto v = RegistrationView::parse(plaintext);
  if (!v) return v.error();
  return Registration{v->timestamp(), v->record(), to_array(v->signature())};
}

void Registration::emit(MutableByteSpan out) const noexcept {
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(InnerType::registration);
  out[1] = out[2] = out[3] = std::byte{0};
  store_be64(field<V::kTimestamp, 8>(out), timestamp);
  record.emit(out.subspan(V::kRecord));
  const auto sig_at = V::kRecord + record.buffer_len();
  put(out.subspan(sig_at).first<V::kSignatureSize>(), signature);
}

Bytes Registration::signing_input() const {
  return signed_part_with_context(kRegistrationContext, *this, V::kSignatureSize);
}

}  // namespace weft::wire
