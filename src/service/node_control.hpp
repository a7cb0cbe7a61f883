#pragma once

#include <nlohmann/json.hpp>

#include <chrono>

#include "runtime/node_runtime.hpp"
#include "service/control_server.hpp"

namespace weft::service {

// The node service's answers to control requests (docs/operations.md,
// "Control API"), read from and applied to its NodeRuntime. It also takes the
// runtime's events off their queue (on the control thread) and logs them: the
// operator's record of roots, paths and networks.
class NodeControl final : public ControlHandler {
 public:
  explicit NodeControl(runtime::NodeRuntime& runtime)
      : runtime_(runtime), started_(std::chrono::steady_clock::now()) {}

  nlohmann::json handle(const ControlRequest& request) override;
  [[nodiscard]] int watched_fd() const override { return runtime_.events().fd(); }
  void on_watched_fd() override;

 private:
  nlohmann::json status() const;
  nlohmann::json peers() const;
  nlohmann::json networks() const;
  nlohmann::json stats() const;
  nlohmann::json join(NetworkId network);
  nlohmann::json leave(NetworkId network);

  runtime::NodeRuntime& runtime_;
  const std::chrono::steady_clock::time_point started_;
};

}  // namespace weft::service
