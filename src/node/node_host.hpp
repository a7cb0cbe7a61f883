#pragma once

// What a Node needs from its host (the runtime, or the simulator): a way out
// for datagrams and frames, and a place for events. Called synchronously from
// inside the Node's entry points; must not call back into the Node.

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/node_id.hpp"
#include "wire/endpoint.hpp"

namespace weft::node {

struct NodeEvent {
  enum class Kind : std::uint8_t {
    root_registered,   // a root acknowledged our registration (endpoint: what it saw)
    root_lost,         // a root stopped acknowledging
    path_direct,       // traffic to peer now uses endpoint directly
    path_relayed,      // traffic to peer now goes through a root
    peer_unreachable,  // a lookup failed: queued frames were dropped
  };
  Kind kind;
  NodeId peer;
  std::optional<wire::Endpoint> endpoint;
};

class NodeHost {
 public:
  virtual ~NodeHost() = default;
  virtual void send_datagram(const wire::Endpoint& to, ByteSpan datagram) = 0;
  virtual void deliver_frame(NodeId from, ByteSpan frame) = 0;
  virtual void on_event(const NodeEvent& /*event*/) {}
};

}  // namespace weft::node
