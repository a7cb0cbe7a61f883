#pragma once

// What a Node needs from its host (the runtime, or the simulator): a way out
// for datagrams and frames, and a place for events. Called synchronously from
// inside the Node's entry points; must not call back into the Node.

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "vnet/network_switch.hpp"
#include "wire/endpoint.hpp"

namespace weft::node {

struct NodeEvent {
  enum class Kind : std::uint8_t {
    root_registered,   // a root acknowledged our registration (endpoint: what it saw)
    root_lost,         // a root stopped acknowledging
    path_direct,       // traffic to peer now uses endpoint directly
    path_relayed,      // traffic to peer now goes through a root
    peer_unreachable,  // a lookup failed: queued frames were dropped
    // Networks (network set; peer is the network's controller):
    network_ready,      // the first valid config arrived: frames may flow
    network_denied,     // the controller refused us (not authorized, or deauthorized)
    network_not_found,  // the controller has no such network
    address_assigned,   // address: from the config (also on the first config)
    address_removed,    // address: no longer in the config, or the network was left/denied
  };
  Kind kind;
  NodeId peer;
  std::optional<wire::Endpoint> endpoint;
  std::optional<NetworkId> network{};
  std::optional<vnet::Address> address{};
};

class NodeHost {
 public:
  virtual ~NodeHost() = default;
  virtual void send_datagram(const wire::Endpoint& to, ByteSpan datagram) = 0;
  // A VL1 frame whose payload is not a VL2 message (first byte outside
  // 0x20..0x2f): the raw peer-to-peer channel, unchecked by any network.
  virtual void deliver_frame(NodeId from, ByteSpan frame) = 0;
  // An Ethernet frame on a joined network, from a member holding a valid
  // credential and using its own MAC (vnet::NetworkSwitch::inbound).
  virtual void deliver_network_frame(NetworkId /*network*/, ByteSpan /*frame*/) {}
  virtual void on_event(const NodeEvent& /*event*/) {}
};

}  // namespace weft::node
