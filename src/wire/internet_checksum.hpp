#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"

// The Internet checksum (RFC 1071), for what builds IP packets
// (wire/icmp_too_big) and what checks them (stack/lwip/packet_peek).
namespace weft::wire {

// `sum` plus the one's-complement sum of `data` as big-endian 16-bit words (an
// odd last byte padded with zero). `sum` carries what came before, e.g. a
// pseudo-header's part.
constexpr std::uint32_t checksum_add(ByteSpan data, std::uint32_t sum = 0) noexcept {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2)
    sum += static_cast<std::uint32_t>(std::to_integer<std::uint8_t>(data[i])) << 8U |
           std::to_integer<std::uint8_t>(data[i + 1]);
  if (i < data.size())
    sum += static_cast<std::uint32_t>(std::to_integer<std::uint8_t>(data[i])) << 8U;
  return sum;
}

// A running sum folded to 16 bits and complemented: the value for a checksum
// field, or 0 when checking a packet whose checksum is right.
constexpr std::uint16_t checksum_fold(std::uint32_t sum) noexcept {
  while ((sum >> 16U) != 0) sum = (sum & 0xFFFFU) + (sum >> 16U);
  return static_cast<std::uint16_t>(~sum & 0xFFFFU);
}

}  // namespace weft::wire
