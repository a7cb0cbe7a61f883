#pragma once

#include <optional>

#include "base/mac.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"

namespace weft::vnet {

// Each member's Ethernet address on a network is derived from its NodeId and the
// NetworkId, so no table is needed in either direction and the same node has an
// unrelated MAC on each network (a MAC does not reveal membership elsewhere).
//
//   octet 0:    from the network id, with the locally-administered bit set and
//               the multicast bit clear (never 0x52: QEMU/KVM's 52:54:00 prefix)
//   octets 1-5: the NodeId XOR 40 bits spread from the network id
//
// The mapping is a bijection per network: member_of(net, member_mac(net, n)) == n.
struct MemberMac {
  [[nodiscard]] static Mac derive(NetworkId network, NodeId node) noexcept;
  // The member a MAC belongs to, or nullopt if the MAC is not one this network
  // derives (wrong first octet, multicast, or a reserved NodeId).
  [[nodiscard]] static std::optional<NodeId> member_of(NetworkId network, Mac mac) noexcept;
};

}  // namespace weft::vnet
