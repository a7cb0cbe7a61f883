#include "osdep/endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace weft::osdep {

namespace {

template <typename T>
Result<T> parse_number(std::string_view s, T max) noexcept {
  if (s.empty() || s.size() > 10) return Error::malformed;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v > max) return Error::malformed;
  return static_cast<T>(v);
}

}  // namespace

Endpoint Endpoint::v4(std::array<std::uint8_t, 4> addr, std::uint16_t port) noexcept {
  Endpoint e;
  e.family_ = Family::v4;
  e.port_ = port;
  std::copy(addr.begin(), addr.end(), e.addr_.begin());
  return e;
}

Endpoint Endpoint::v6(const std::array<std::uint8_t, 16>& addr, std::uint16_t port,
                      std::uint32_t scope_id) noexcept {
  Endpoint e;
  e.family_ = Family::v6;
  e.port_ = port;
  e.scope_id_ = scope_id;
  e.addr_ = addr;
  return e;
}

Endpoint Endpoint::loopback_v4(std::uint16_t port) noexcept { return v4({127, 0, 0, 1}, port); }

Endpoint Endpoint::loopback_v6(std::uint16_t port) noexcept {
  std::array<std::uint8_t, 16> a{};
  a[15] = 1;
  return v6(a, port);
}

Result<Endpoint> Endpoint::parse(std::string_view text) noexcept {
  // Long enough for any IPv6 text form plus a scope; longer input is malformed.
  char host[INET6_ADDRSTRLEN + 16];
  std::string_view port_text;
  std::string_view host_text;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error::malformed;
    }
    host_text = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    v6 = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return Error::malformed;
    host_text = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host_text.find(':') != std::string_view::npos) return Error::malformed;  // v6 needs []
  }
  auto port = parse_number<std::uint16_t>(port_text, 65535);
  if (!port) return port.error();
  std::uint32_t scope = 0;
  if (v6) {
    if (const auto pct = host_text.find('%'); pct != std::string_view::npos) {
      auto s = parse_number<std::uint32_t>(host_text.substr(pct + 1), UINT32_MAX);
      if (!s) return s.error();
      scope = *s;
      host_text = host_text.substr(0, pct);
    }
  }
  if (host_text.empty() || host_text.size() >= sizeof host) return Error::malformed;
  std::memcpy(host, host_text.data(), host_text.size());
  host[host_text.size()] = '\0';
  if (v6) {
    std::array<std::uint8_t, 16> a{};
    if (::inet_pton(AF_INET6, host, a.data()) != 1) return Error::malformed;
    return Endpoint::v6(a, *port, scope);
  }
  std::array<std::uint8_t, 4> a{};
  if (::inet_pton(AF_INET, host, a.data()) != 1) return Error::malformed;
  return Endpoint::v4(a, *port);
}

std::string Endpoint::to_string() const {
  char host[INET6_ADDRSTRLEN];
  ::inet_ntop(is_v4() ? AF_INET : AF_INET6, addr_.data(), host, sizeof host);
  std::string out;
  if (is_v4()) {
    out = host;
  } else {
    out = "[";
    out += host;
    if (scope_id_ != 0) out += "%" + std::to_string(scope_id_);
    out += "]";
  }
  out += ":" + std::to_string(port_);
  return out;
}

Result<Endpoint> Endpoint::from_sockaddr(const sockaddr_storage& sa, socklen_t len) noexcept {
  if (sa.ss_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in in{};
    std::memcpy(&in, &sa, sizeof in);
    std::array<std::uint8_t, 4> a{};
    std::memcpy(a.data(), &in.sin_addr, 4);
    return v4(a, ntohs(in.sin_port));
  }
  if (sa.ss_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &sa, sizeof in6);
    std::array<std::uint8_t, 16> a{};
    std::memcpy(a.data(), &in6.sin6_addr, 16);
    return v6(a, ntohs(in6.sin6_port), in6.sin6_scope_id);
  }
  return Error::invalid_argument;
}

socklen_t Endpoint::to_sockaddr(sockaddr_storage& out) const noexcept {
  out = {};
  if (is_v4()) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port_);
    std::memcpy(&in.sin_addr, addr_.data(), 4);
    std::memcpy(&out, &in, sizeof in);
    return sizeof in;
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port_);
  in6.sin6_scope_id = scope_id_;
  std::memcpy(&in6.sin6_addr, addr_.data(), 16);
  std::memcpy(&out, &in6, sizeof in6);
  return sizeof in6;
}

}  // namespace weft::osdep

std::size_t std::hash<weft::osdep::Endpoint>::operator()(
    const weft::osdep::Endpoint& e) const noexcept {
  // FNV-1a over the fields: cheap, and endpoints are not attacker-chosen keys
  // in any table that an attacker can fill (peers are authenticated first).
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i, v >>= 8U) {
      h ^= v & 0xffU;
      h *= 1099511628211ULL;
    }
  };
  mix(static_cast<std::uint64_t>(e.family()), 1);
  mix(e.port(), 2);
  mix(e.scope_id(), 4);
  for (std::uint8_t b : e.address()) mix(b, 1);
  return static_cast<std::size_t>(h);
}
