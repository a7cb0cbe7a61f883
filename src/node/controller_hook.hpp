#pragma once

// How a node hosts its network's controller without depending on the
// controller layer (cmake/layers.txt: node sees vnet and below; the controller
// sits beside it). The owner of both (the runtime, the simulator) implements
// this over controller::Controller and sets it in NodeConfig.

#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "crypto/public_identity.hpp"

namespace weft::node {

// A VL2 message (wire/vl2_messages.hpp) the controller wants sent to a member.
struct ControllerPush {
  NodeId to;
  Bytes message;
};

class ControllerHook {
 public:
  virtual ~ControllerHook() = default;
  // A VL2 message for the controller (config_request, member_gather) from
  // `peer`, the identity its session authenticated. The reply to send back, or
  // an error (the request is dropped; the member asks again). `now_ms` is the
  // node's wall clock (NodeConfig: sessions.timestamp_offset_ns + now).
  virtual Result<Bytes> handle(const crypto::PublicIdentity& peer, ByteSpan message,
                               std::uint64_t now_ms) = 0;
  // What changed since the last call and must reach online members (new
  // configs, revocations, refusals). Called from Node::tick.
  virtual std::vector<ControllerPush> take_pushes(std::uint64_t now_ms) = 0;
};

}  // namespace weft::node
