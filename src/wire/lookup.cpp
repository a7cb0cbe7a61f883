#include "wire/lookup.hpp"

#include "wire/inner.hpp"

namespace weft::wire {

using V = LookupView;

Result<LookupView> LookupView::parse(ByteSpan plaintext) noexcept {
  if (plaintext.empty() || plaintext[0] != static_cast<std::byte>(InnerType::lookup))
    return Error::malformed;
  if (plaintext.size() < kSize) return Error::truncated;
  if (plaintext.size() > kSize) return Error::too_large;
  if (!all_zero(plaintext.subspan(1, 3))) return Error::malformed;
  auto a = NodeId::from_bytes(field<kAddress, 5>(plaintext));
  if (!a) return Error::malformed;
  return LookupView{plaintext, *a};
}

Result<Lookup> Lookup::parse(ByteSpan plaintext) noexcept {
  auto v = LookupView::parse(plaintext);
  if (!v) return v.error();
  return Lookup{v->request_id(), v->address()};
}

void Lookup::emit(MutableByteSpan out) const noexcept {
  check_room(out, V::kSize);
  out[0] = static_cast<std::byte>(InnerType::lookup);
  out[1] = out[2] = out[3] = std::byte{0};
  store_be32(field<V::kRequestId, 4>(out), request_id);
  put(field<V::kAddress, 5>(out), address.to_bytes());
}

}  // namespace weft::wire
