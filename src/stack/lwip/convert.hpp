#pragma once

#include "base/error.hpp"
#include "base/result.hpp"
#include "stack/endpoint.hpp"
#include "stack/lwip/lwip_headers.hpp"

namespace weft::stack::lwip {

ip_addr_t to_lwip(const IpAddress& a) noexcept;
IpAddress from_lwip(const ip_addr_t& a) noexcept;
// A pcb's endpoint, in the socket's family whatever address type lwIP left in
// the pcb.
Endpoint endpoint_of(const ip_addr_t& a, u16_t port, Family family) noexcept;
// The Error for an lwIP err_t other than ERR_OK.
Error from_err(err_t e) noexcept;
// True when a is assigned to one of lwIP's netifs (for bind).
bool is_local_address(const ip_addr_t& a) noexcept;

}  // namespace weft::stack::lwip
