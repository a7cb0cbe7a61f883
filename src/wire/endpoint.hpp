#pragma once

// A UDP endpoint as carried inside root messages. docs/protocol.md §6.1.
//
//   0  1  family  4 (IPv4) or 6 (IPv6)
//   1  2  port    u16, non-zero
//   3  4|16 address

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft::wire {

struct Endpoint {
  enum class Family : std::uint8_t { ipv4 = 4, ipv6 = 6 };
  static constexpr std::size_t kIpv4Size = 7;
  static constexpr std::size_t kIpv6Size = 19;

  Family family{Family::ipv4};
  ByteArray<16> address{};  // IPv4 uses the first 4 bytes; the rest stay zero
  std::uint16_t port{0};

  static Endpoint ipv4(const ByteArray<4>& a, std::uint16_t port) noexcept;
  static Endpoint ipv6(const ByteArray<16>& a, std::uint16_t port) noexcept;

  // Parses the endpoint at the start of bytes (trailing bytes are the caller's);
  // Error::truncated or Error::malformed (unknown family, port 0).
  static Result<Endpoint> parse(ByteSpan bytes) noexcept;
  [[nodiscard]] std::size_t buffer_len() const noexcept {
    return family == Family::ipv4 ? kIpv4Size : kIpv6Size;
  }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const Endpoint&) const = default;
};

}  // namespace weft::wire
