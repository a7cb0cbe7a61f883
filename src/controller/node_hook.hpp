#pragma once

#include "controller/controller.hpp"
#include "node/controller_hook.hpp"

namespace weft::controller {

// How a node hosts its networks' controller: the node hands it the VL2
// messages meant for the controller and sends what it pushes. The controller
// must outlive the hook.
class NodeHook final : public node::ControllerHook {
 public:
  explicit NodeHook(Controller& controller) noexcept : controller_(controller) {}

  Result<Bytes> handle(const crypto::PublicIdentity& peer, ByteSpan message,
                       std::uint64_t now_ms) override {
    return controller_.handle_inner(peer, message, now_ms);
  }
  std::vector<node::ControllerPush> take_pushes(std::uint64_t now_ms) override {
    std::vector<node::ControllerPush> out;
    for (auto& p : controller_.take_pushes(now_ms)) out.push_back({p.to, std::move(p.message)});
    return out;
  }

 private:
  Controller& controller_;
};

}  // namespace weft::controller
