#include "support/sock_addr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>

namespace weft::test_support {

SockAddr SockAddr::make(const std::string& ip, std::uint16_t port) {
  SockAddr a;
  if (family_of(ip) == AF_INET) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    if (inet_pton(AF_INET, ip.c_str(), &in.sin_addr) != 1) std::abort();
    std::memcpy(&a.storage, &in, sizeof in);
    a.len = sizeof in;
  } else {
    sockaddr_in6 in{};
    in.sin6_family = AF_INET6;
    in.sin6_port = htons(port);
    if (inet_pton(AF_INET6, ip.c_str(), &in.sin6_addr) != 1) std::abort();
    std::memcpy(&a.storage, &in, sizeof in);
    a.len = sizeof in;
  }
  return a;
}

// sockaddr_storage is the one type the socket API allows to be viewed as a sockaddr.
sockaddr* SockAddr::get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }  // NOLINT
const sockaddr* SockAddr::get() const noexcept {
  return reinterpret_cast<const sockaddr*>(&storage);  // NOLINT
}

std::uint16_t SockAddr::port() const noexcept {
  if (storage.ss_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, &storage, sizeof in);
    return ntohs(in.sin_port);
  }
  sockaddr_in6 in{};
  std::memcpy(&in, &storage, sizeof in);
  return ntohs(in.sin6_port);
}

std::string SockAddr::ip() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, &storage, sizeof in);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
  } else if (storage.ss_family == AF_INET6) {
    sockaddr_in6 in{};
    std::memcpy(&in, &storage, sizeof in);
    inet_ntop(AF_INET6, &in.sin6_addr, text, sizeof text);
  } else {
    return "family-" + std::to_string(storage.ss_family);
  }
  return text;
}

std::string SockAddr::to_string() const { return ip() + " " + std::to_string(port()); }

bool operator==(const SockAddr& a, const SockAddr& b) noexcept {
  if (a.storage.ss_family != b.storage.ss_family) return false;
  if (a.storage.ss_family == AF_INET) {
    sockaddr_in x{};
    sockaddr_in y{};
    std::memcpy(&x, &a.storage, sizeof x);
    std::memcpy(&y, &b.storage, sizeof y);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  sockaddr_in6 x{};
  sockaddr_in6 y{};
  std::memcpy(&x, &a.storage, sizeof x);
  std::memcpy(&y, &b.storage, sizeof y);
  return x.sin6_port == y.sin6_port &&
         std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0 &&
         x.sin6_flowinfo == y.sin6_flowinfo && x.sin6_scope_id == y.sin6_scope_id;
}

}  // namespace weft::test_support
