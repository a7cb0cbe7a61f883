#pragma once

#include "base/error.hpp"
#include "base/result.hpp"
#include "stack/endpoint.hpp"
#include "stack/lwip/lwip_headers.hpp"

namespace weft::stack::lwip {

ip_addr_t to_lwip(const IpAddress& a) noexcept;
IpAddress from_lwip(const ip_addr_t& a) noexcept;
// A pcb's endpoint as a socket of `family` shows it: on an IPv6 socket an IPv4
// address is IPv4-mapped and lwIP's any-type address (a dual-stack pcb's) is ::.
Endpoint endpoint_of(const ip_addr_t& a, u16_t port, Family family) noexcept;

// Dual-stack IPv6 sockets (IPV6_V6ONLY 0, Linux's default). An address given to
// an IPv6 socket, as lwIP takes it: when `dual`, an IPv4-mapped address is its
// IPv4 address and :: is the any-type address, which binds a pcb to both
// families; otherwise the address as it is.
ip_addr_t to_lwip_for_socket(const IpAddress& a, bool dual) noexcept;
// Makes a pcb that has no address yet speak the family of `type` (IPADDR_TYPE_*)
// from now on: lwIP refuses to bind, connect or send a pcb to an address of
// another type, and IPADDR_TYPE_ANY accepts both. (tcp_new_ip_type sets the same.)
template <typename Pcb>
void set_pcb_type(Pcb* pcb, u8_t type) noexcept {
  IP_SET_TYPE_VAL(pcb->local_ip, type);
  IP_SET_TYPE_VAL(pcb->remote_ip, type);
}
// The Error for an lwIP err_t other than ERR_OK.
Error from_err(err_t e) noexcept;
// True when a is assigned to one of lwIP's netifs (for bind).
bool is_local_address(const ip_addr_t& a) noexcept;

}  // namespace weft::stack::lwip
