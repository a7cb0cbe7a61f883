#include "stack/lwip/convert.hpp"

#include <cstring>

namespace weft::stack::lwip {

ip_addr_t to_lwip(const IpAddress& a) noexcept {
  ip_addr_t r{};
  if (a.family == Family::v4) {
    IP_SET_TYPE_VAL(r, IPADDR_TYPE_V4);
    std::memcpy(&ip_2_ip4(&r)->addr, a.bytes.data(), 4);
  } else {
    IP_SET_TYPE_VAL(r, IPADDR_TYPE_V6);
    std::memcpy(ip_2_ip6(&r)->addr, a.bytes.data(), 16);
    ip6_addr_clear_zone(ip_2_ip6(&r));
  }
  return r;
}

IpAddress from_lwip(const ip_addr_t& a) noexcept {
  IpAddress r;
  if (IP_IS_V6_VAL(a)) {
    r.family = Family::v6;
    std::memcpy(r.bytes.data(), ip_2_ip6(&a)->addr, 16);
  } else {
    r.family = Family::v4;
    std::memcpy(r.bytes.data(), &ip_2_ip4(&a)->addr, 4);
  }
  return r;
}

Endpoint endpoint_of(const ip_addr_t& a, u16_t port, Family family) noexcept {
  if (family == Family::v6 && !IP_IS_V6_VAL(a)) {
    if (IP_IS_ANY_TYPE_VAL(a)) return Endpoint{IpAddress::any(Family::v6), port};
    return Endpoint{from_lwip(a).mapped(), port};
  }
  Endpoint e{from_lwip(a), port};
  e.address.family = family;
  return e;
}

ip_addr_t to_lwip_for_socket(const IpAddress& a, bool dual) noexcept {
  if (!dual) return to_lwip(a);
  if (a.is_v4_mapped()) return to_lwip(a.unmapped());
  if (a.is_any()) return ip_addr_any_type;
  return to_lwip(a);
}

Error from_err(err_t e) noexcept {
  switch (e) {
    case ERR_MEM:
    case ERR_BUF: return Error::no_buffer;
    case ERR_TIMEOUT: return Error::timed_out;
    case ERR_RTE: return Error::network_unreachable;
    case ERR_INPROGRESS: return Error::in_progress;
    case ERR_VAL:
    case ERR_ARG: return Error::invalid_argument;
    case ERR_WOULDBLOCK: return Error::would_block;
    case ERR_USE: return Error::address_in_use;
    case ERR_ALREADY: return Error::in_progress;
    case ERR_ISCONN: return Error::already_connected;
    case ERR_CONN: return Error::not_connected;
    case ERR_IF: return Error::network_unreachable;
    case ERR_ABRT: return Error::connection_aborted;
    case ERR_RST: return Error::connection_reset;
    case ERR_CLSD: return Error::closed;
    default: return Error::internal;
  }
}

bool is_local_address(const ip_addr_t& a) noexcept {
  netif* n = nullptr;
  NETIF_FOREACH(n) {
    if (IP_IS_V4_VAL(a)) {
      if (ip4_addr_cmp(ip_2_ip4(&a), netif_ip4_addr(n))) return true;
    } else {
      for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; ++i) {
        if (ip6_addr_isvalid(netif_ip6_addr_state(n, i)) &&
            std::memcmp(ip_2_ip6(&a)->addr, netif_ip6_addr(n, i)->addr, 16) == 0)
          return true;
      }
    }
  }
  return false;
}

}  // namespace weft::stack::lwip
