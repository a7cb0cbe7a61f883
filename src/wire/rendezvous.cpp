#include "wire/rendezvous.hpp"

#include "wire/field.hpp"
#include "wire/inner.hpp"

namespace weft::wire {

Result<RendezvousView> RendezvousView::parse(ByteSpan plaintext) {
  if (plaintext.empty() || plaintext[0] != static_cast<std::byte>(InnerType::rendezvous))
    return Error::malformed;
  if (plaintext.size() < kRecord) return Error::truncated;
  if (!all_zero(plaintext.subspan(1, 3))) return Error::malformed;
  auto record = PeerRecord::parse(plaintext.subspan(kRecord));
  if (!record) return record.error();
  if (plaintext.size() > kRecord + record->buffer_len()) return Error::too_large;
  return RendezvousView{std::move(*record)};
}

Result<Rendezvous> Rendezvous::parse(ByteSpan plaintext) {
  auto v = RendezvousView::parse(plaintext);
  if (!v) return v.error();
  return Rendezvous{v->record()};
}

void Rendezvous::emit(MutableByteSpan out) const noexcept {
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(InnerType::rendezvous);
  out[1] = out[2] = out[3] = std::byte{0};
  record.emit(out.subspan(RendezvousView::kRecord));
}

}  // namespace weft::wire
