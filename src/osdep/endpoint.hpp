#pragma once

#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace weft::osdep {

// A UDP/IP endpoint: an IPv4 or IPv6 address and a port (and, for IPv6, the
// scope of a link-local address). A plain value: comparable, hashable, and
// convertible to and from the kernel's sockaddr at the system-call boundary.
class Endpoint {
 public:
  enum class Family : std::uint8_t { v4, v6 };

  // 0.0.0.0:0
  Endpoint() = default;
  static Endpoint v4(std::array<std::uint8_t, 4> addr, std::uint16_t port) noexcept;
  static Endpoint v6(const std::array<std::uint8_t, 16>& addr, std::uint16_t port,
                     std::uint32_t scope_id = 0) noexcept;
  static Endpoint loopback_v4(std::uint16_t port = 0) noexcept;
  static Endpoint loopback_v6(std::uint16_t port = 0) noexcept;

  // "127.0.0.1:9000", "[::1]:9000", "[fe80::1%2]:9000" (numeric scope only).
  // The port is required; 0 is allowed (bind to any free port).
  static Result<Endpoint> parse(std::string_view text) noexcept;
  [[nodiscard]] std::string to_string() const;

  // The kernel's form. from_sockaddr refuses families other than AF_INET/AF_INET6
  // and lengths too short for the family (Error::invalid_argument).
  static Result<Endpoint> from_sockaddr(const sockaddr_storage& sa, socklen_t len) noexcept;
  socklen_t to_sockaddr(sockaddr_storage& out) const noexcept;

  [[nodiscard]] Family family() const noexcept { return family_; }
  [[nodiscard]] bool is_v4() const noexcept { return family_ == Family::v4; }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::uint32_t scope_id() const noexcept { return scope_id_; }
  [[nodiscard]] Endpoint with_port(std::uint16_t port) const noexcept {
    Endpoint e = *this;
    e.port_ = port;
    return e;
  }
  // 4 bytes for IPv4 (the rest zero), 16 for IPv6.
  [[nodiscard]] const std::array<std::uint8_t, 16>& address() const noexcept { return addr_; }

  constexpr auto operator<=>(const Endpoint&) const = default;

 private:
  Family family_{Family::v4};
  std::uint16_t port_{0};
  std::uint32_t scope_id_{0};
  std::array<std::uint8_t, 16> addr_{};
};

}  // namespace weft::osdep

template <>
struct std::hash<weft::osdep::Endpoint> {
  std::size_t operator()(const weft::osdep::Endpoint& e) const noexcept;
};
