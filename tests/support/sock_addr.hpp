#pragma once

// sockaddr values for the tests (conformance, integration, unit): built from
// numeric text, printed back, compared.

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace weft::test_support {

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len{sizeof(sockaddr_storage)};

  // "10.77.0.1" or "fd77::1" and a port; aborts on a malformed literal (test data).
  static SockAddr make(const std::string& ip, std::uint16_t port);
  [[nodiscard]] sockaddr* get() noexcept;
  [[nodiscard]] const sockaddr* get() const noexcept;
  [[nodiscard]] int family() const noexcept { return storage.ss_family; }
  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] std::string ip() const;         // numeric
  [[nodiscard]] std::string to_string() const;  // "ip port", as the peer protocol prints it
  // Family, address and port equal (IPv6: flow info and scope must be 0 in both).
  friend bool operator==(const SockAddr& a, const SockAddr& b) noexcept;
};

// AF_INET for a dotted IPv4 literal, AF_INET6 for anything with a colon.
inline int family_of(const std::string& ip) {
  return ip.find(':') == std::string::npos ? AF_INET : AF_INET6;
}

}  // namespace weft::test_support
