#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include "base/result.hpp"
#include "stack/endpoint.hpp"

namespace weft::socket {

// sockaddr_in / sockaddr_in6 <-> stack::Endpoint. from_sockaddr refuses a null
// pointer, a short length and any family other than AF_INET/AF_INET6.
Result<stack::Endpoint> from_sockaddr(const sockaddr* sa, socklen_t len) noexcept;
// Writes at most *len bytes (truncating like the kernel) and sets *len to the
// full size. Null pointers are an error.
Result<void> to_sockaddr(const stack::Endpoint& e, sockaddr* sa, socklen_t* len) noexcept;

}  // namespace weft::socket
