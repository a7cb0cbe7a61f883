#include "wire/peer_record.hpp"

#include "wire/field.hpp"

namespace weft::wire {

Result<PeerRecord> PeerRecord::parse(ByteSpan bytes) {
  if (bytes.size() < kEndpoints) return Error::truncated;
  auto address = NodeId::from_bytes(field<kAddress, 5>(bytes));
  if (!address) return Error::malformed;
  const std::size_t count = std::to_integer<std::size_t>(bytes[kEndpointCount]);
  if (count > kMaxEndpoints) return Error::malformed;
  PeerRecord r{*address,
               to_array(field<kSigningKey, 32>(bytes)),
               to_array(field<kAgreementKey, 32>(bytes)),
               {}};
  r.endpoints.reserve(count);
  std::size_t at = kEndpoints;
  for (std::size_t i = 0; i < count; ++i) {
    auto e = Endpoint::parse(bytes.subspan(at));
    if (!e) return e.error();
    at += e->buffer_len();
    r.endpoints.push_back(*e);
  }
  return r;
}

std::size_t PeerRecord::buffer_len() const noexcept {
  std::size_t n = kEndpoints;
  for (const auto& e : endpoints) n += e.buffer_len();
  return n;
}

void PeerRecord::emit(MutableByteSpan out) const noexcept {
  WEFT_CHECK(endpoints.size() <= kMaxEndpoints);
  check_room(out, buffer_len());
  put(field<kAddress, 5>(out), address.to_bytes());
  put(field<kSigningKey, 32>(out), signing_key);
  put(field<kAgreementKey, 32>(out), agreement_key);
  out[kEndpointCount] = static_cast<std::byte>(endpoints.size());
  std::size_t at = kEndpoints;
  for (const auto& e : endpoints) {
    e.emit(out.subspan(at));
    at += e.buffer_len();
  }
}

}  // namespace weft::wire
