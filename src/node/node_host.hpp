#pragma once

// What a Node needs from its host (the runtime, or the simulator): a way out
// for datagrams and frames, and a place for events. Called synchronously from
// inside the Node's entry points; must not call back into the Node.

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "vnet/network_switch.hpp"
#include "wire/endpoint.hpp"
#include "wire/vl2_messages.hpp"

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
    network_left,       // leave() finished: after its address_removed events
  };
  Kind kind;
  NodeId peer;
  std::optional<wire::Endpoint> endpoint;
  std::optional<NetworkId> network{};
  std::optional<vnet::Address> address{};
};

// The kind's name as written in logs and by tools ("root_registered", ...).
constexpr std::string_view name(NodeEvent::Kind kind) noexcept {
  switch (kind) {
    case NodeEvent::Kind::root_registered: return "root_registered";
    case NodeEvent::Kind::root_lost: return "root_lost";
    case NodeEvent::Kind::path_direct: return "path_direct";
    case NodeEvent::Kind::path_relayed: return "path_relayed";
    case NodeEvent::Kind::peer_unreachable: return "peer_unreachable";
    case NodeEvent::Kind::network_ready: return "network_ready";
    case NodeEvent::Kind::network_denied: return "network_denied";
    case NodeEvent::Kind::network_not_found: return "network_not_found";
    case NodeEvent::Kind::address_assigned: return "address_assigned";
    case NodeEvent::Kind::address_removed: return "address_removed";
    case NodeEvent::Kind::network_left: return "network_left";
  }
  return "unknown";
}

// Whether a datagram must leave after those sent before it to the same
// endpoint (in_turn), or may overtake them (may_lead: a fragment other than
// its message's last, peer::Outgoing::leads). A host that sends each datagram
// at once ignores it.
enum class SendOrder : std::uint8_t { in_turn, may_lead };

class NodeHost {
 public:
  virtual ~NodeHost() = default;
  virtual void send_datagram(const wire::Endpoint& to, ByteSpan datagram, SendOrder order) = 0;
  // A VL1 frame whose payload is not a VL2 message (first byte outside
  // 0x20..0x2f): the raw peer-to-peer channel, unchecked by any network.
  virtual void deliver_frame(NodeId from, ByteSpan frame) = 0;
  // An Ethernet frame on a joined network, from a member holding a valid
  // credential and using its own MAC (vnet::NetworkSwitch::inbound).
  virtual void deliver_network_frame(NetworkId /*network*/, ByteSpan /*frame*/) {}
  virtual void on_event(const NodeEvent& /*event*/) {}
  // A joined network's controller answered a Node::query_name.
  virtual void on_name_answer(const wire::NameAnswer& /*answer*/) {}
};

}  // namespace weft::node
