#include "wire/endpoint.hpp"

#include <algorithm>

#include "wire/field.hpp"

namespace weft::wire {

Endpoint Endpoint::ipv4(const ByteArray<4>& a, std::uint16_t port) noexcept {
  Endpoint e{Family::ipv4, {}, port};
  std::copy(a.begin(), a.end(), e.address.begin());
  return e;
}

Endpoint Endpoint::ipv6(const ByteArray<16>& a, std::uint16_t port) noexcept {
  return Endpoint{Family::ipv6, a, port};
}

Result<Endpoint> Endpoint::parse(ByteSpan bytes) noexcept {
  if (bytes.size() < kIpv4Size) return Error::truncated;
  Endpoint e;
  const auto family = std::to_integer<std::uint8_t>(bytes[0]);
  e.port = load_be16(field<1, 2>(bytes));
  if (e.port == 0) return Error::malformed;
  if (family == static_cast<std::uint8_t>(Family::ipv4)) {
    e.family = Family::ipv4;
    const auto a = field<3, 4>(bytes);
    std::copy(a.begin(), a.end(), e.address.begin());
  } else if (family == static_cast<std::uint8_t>(Family::ipv6)) {
    if (bytes.size() < kIpv6Size) return Error::truncated;
    e.family = Family::ipv6;
    e.address = to_array(field<3, 16>(bytes));
  } else {
    return Error::malformed;
  }
  return e;
}

void Endpoint::emit(MutableByteSpan out) const noexcept {
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(family);
  store_be16(field<1, 2>(out), port);
  std::copy_n(address.begin(), buffer_len() - 3, out.begin() + 3);
}

}  // namespace weft::wire
