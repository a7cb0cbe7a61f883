#include "socket/sockaddr.hpp"

#include <algorithm>
#include <cstring>

namespace weft::socket {

Result<stack::Endpoint> from_sockaddr(const sockaddr* sa, socklen_t len) noexcept {
  if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t))) return Error::invalid_argument;
  stack::Endpoint e;
  if (sa->sa_family == AF_INET) {
    if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) return Error::invalid_argument;
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    e.address.family = stack::Family::v4;
    std::memcpy(e.address.bytes.data(), &in.sin_addr, 4);
    e.port = ntohs(in.sin_port);
    return e;
  }
  if (sa->sa_family == AF_INET6) {
    if (len < static_cast<socklen_t>(sizeof(sockaddr_in6))) return Error::invalid_argument;
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    e.address.family = stack::Family::v6;
    std::memcpy(e.address.bytes.data(), &in6.sin6_addr, 16);
    e.port = ntohs(in6.sin6_port);
    return e;
  }
  return Error::unsupported;
}

Result<void> to_sockaddr(const stack::Endpoint& e, sockaddr* sa, socklen_t* len) noexcept {
  if (sa == nullptr || len == nullptr) return Error::invalid_argument;
  sockaddr_storage ss{};
  socklen_t full = 0;
  if (e.address.family == stack::Family::v4) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(e.port);
    std::memcpy(&in.sin_addr, e.address.bytes.data(), 4);
    std::memcpy(&ss, &in, sizeof in);
    full = sizeof in;
  } else {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(e.port);
    std::memcpy(&in6.sin6_addr, e.address.bytes.data(), 16);
    std::memcpy(&ss, &in6, sizeof in6);
    full = sizeof in6;
  }
  std::memcpy(sa, &ss, std::min(full, *len));
  *len = full;
  return {};
}

}  // namespace weft::socket
