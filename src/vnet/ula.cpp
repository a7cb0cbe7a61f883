#include "vnet/ula.hpp"

namespace weft::vnet {

namespace {

// A fixed 64-bit mixer (splitmix64's finaliser): every input bit affects every
// output bit, which is all the prefix needs; it is not a security boundary.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30U;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27U;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31U;
  return x;
}

}  // namespace

Ipv6Bytes Ula::prefix(NetworkId network) noexcept {
  const std::uint64_t global = mix(network.value()) & 0xff'ffff'ffffULL;
  Ipv6Bytes out{};
  out[0] = 0xfd;
  for (int i = 0; i < 5; ++i) out[1 + i] = static_cast<std::uint8_t>(global >> (8U * (4 - i)));
  return out;  // subnet id (bytes 6-7) zero; interface id zero
}

Ipv6Bytes Ula::member_address(NetworkId network, NodeId node) noexcept {
  Ipv6Bytes out = prefix(network);
  out[8] = 0x99;
  out[9] = 0x93;
  out[10] = static_cast<std::uint8_t>(network.number());
  for (int i = 0; i < 5; ++i)
    out[11 + i] = static_cast<std::uint8_t>(node.value() >> (8U * (4 - i)));
  return out;
}

}  // namespace weft::vnet
