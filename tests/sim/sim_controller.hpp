#pragma once

// A hosted controller (controller::NodeHook) that the simulator can restart:
// restart() closes the controller and opens it again from the same SQLite
// file, as a process restart would.

#include <memory>
#include <string>

#include "controller/controller.hpp"
#include "node/controller_hook.hpp"

namespace weft::sim {

class SimController final : public node::ControllerHook {
 public:
  // `secret`: the controller identity's secret text (Identity is move-only and
  // the node holds its own copy).
  SimController(std::string secret, std::string db_path,
                controller::Controller::Limits limits = {});

  Result<Bytes> handle(const crypto::PublicIdentity& peer, ByteSpan message,
                       std::uint64_t now_ms) override {
    return controller_->handle_inner(peer, message, now_ms);
  }
  std::vector<node::ControllerPush> take_pushes(std::uint64_t now_ms) override;

  controller::Controller& controller() { return *controller_; }
  void restart();

 private:
  void open();
  std::string secret_;
  std::string db_path_;
  controller::Controller::Limits limits_;
  std::unique_ptr<controller::Controller> controller_;
};

}  // namespace weft::sim
