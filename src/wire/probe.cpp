#include "wire/probe.hpp"

#include "wire/inner.hpp"

namespace weft::wire {

Result<ProbeView> ProbeView::parse(ByteSpan plaintext) noexcept {
  auto t = inner_type(plaintext);
  if (!t || (*t != InnerType::probe && *t != InnerType::probe_reply)) return Error::malformed;
  if (plaintext.size() < kSize) return Error::truncated;
  if (plaintext.size() > kSize) return Error::too_large;
  if (!all_zero(plaintext.subspan(1, 3))) return Error::malformed;
  return ProbeView{plaintext, *t == InnerType::probe_reply};
}

Result<Probe> Probe::parse(ByteSpan plaintext) noexcept {
  auto v = ProbeView::parse(plaintext);
  if (!v) return v.error();
  return Probe{v->is_reply(), v->id()};
}

void Probe::emit(MutableByteSpan out) const noexcept {
  check_room(out, ProbeView::kSize);
  out[0] = static_cast<std::byte>(reply ? InnerType::probe_reply : InnerType::probe);
  out[1] = out[2] = out[3] = std::byte{0};
  store_be64(field<ProbeView::kId, 8>(out), id);
}

}  // namespace weft::wire
