#pragma once

#include <array>
#include <cstdint>

#include "base/network_id.hpp"
#include "base/node_id.hpp"

namespace weft::vnet {

using Ipv6Bytes = std::array<std::uint8_t, 16>;

// IPv6 addresses of members, derived instead of assigned (no pool, no state):
// an RFC 4193 unique local prefix per network and an interface id per member.
//
//   fd | 40-bit global id from the network id | 16-bit subnet 0   (the /64 prefix)
//   interface id: 0x99 0x93 | 8 bits of the network number | 40-bit NodeId
//
// The global id mixes all 64 bits of the network id (not a hash of time and MAC as
// RFC 4193 suggests, because every member must compute the same prefix alone);
// distinct networks collide only with probability ~2^-40 per pair. The interface
// id embeds the NodeId, so two members of one network never get the same address.
struct Ula {
  static constexpr int kPrefixLength = 64;
  [[nodiscard]] static Ipv6Bytes prefix(NetworkId network) noexcept;
  [[nodiscard]] static Ipv6Bytes member_address(NetworkId network, NodeId node) noexcept;
};

}  // namespace weft::vnet
