#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace weft::stack {

enum class Family : std::uint8_t { v4, v6 };

// An IPv4 or IPv6 address in network byte order. IPv4 uses the first 4 bytes.
struct IpAddress {
  Family family{Family::v4};
  std::array<std::byte, 16> bytes{};

  static IpAddress any(Family f) noexcept { return IpAddress{f, {}}; }
  static IpAddress v4(std::span<const std::byte, 4> b) noexcept {
    IpAddress a{Family::v4, {}};
    for (std::size_t i = 0; i < 4; ++i) a.bytes[i] = b[i];
    return a;
  }
  static IpAddress v6(std::span<const std::byte, 16> b) noexcept {
    IpAddress a{Family::v6, {}};
    for (std::size_t i = 0; i < 16; ++i) a.bytes[i] = b[i];
    return a;
  }
  [[nodiscard]] std::size_t size() const noexcept { return family == Family::v4 ? 4 : 16; }
  [[nodiscard]] bool is_any() const noexcept {
    for (std::size_t i = 0; i < size(); ++i)
      if (bytes[i] != std::byte{0}) return false;
    return true;
  }
  // ::ffff:a.b.c.d, an IPv4 address in IPv6 form (RFC 4291 2.5.5.2).
  [[nodiscard]] bool is_v4_mapped() const noexcept {
    if (family != Family::v6) return false;
    for (std::size_t i = 0; i < 10; ++i)
      if (bytes[i] != std::byte{0}) return false;
    return bytes[10] == std::byte{0xff} && bytes[11] == std::byte{0xff};
  }
  // The IPv4 address of an IPv4-mapped one (is_v4_mapped()).
  [[nodiscard]] IpAddress unmapped() const noexcept {
    return v4(std::span<const std::byte, 16>(bytes).subspan<12, 4>());
  }
  // An IPv4 address as an IPv6 socket shows it: ::ffff:a.b.c.d.
  [[nodiscard]] IpAddress mapped() const noexcept {
    IpAddress a{Family::v6, {}};
    a.bytes[10] = a.bytes[11] = std::byte{0xff};
    for (std::size_t i = 0; i < 4; ++i) a.bytes[12 + i] = bytes[i];
    return a;
  }
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct Endpoint {
  IpAddress address;
  std::uint16_t port{0};  // host byte order
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

}  // namespace weft::stack
