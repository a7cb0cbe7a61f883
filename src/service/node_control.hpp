#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "osdep/unique_fd.hpp"

#include "runtime/node_runtime.hpp"
#include "service/control_server.hpp"

namespace weft::service {

// The node service's answers to control requests (docs/operations.md,
// "Control API"), read from and applied to its NodeRuntime. It also takes the
// runtime's events off their queue (on the control thread) and logs them: the
// operator's record of roots, paths and networks.
//
// Captures (`weft capture`): at most one per connection, ended by capture_stop,
// by the connection closing, or by itself (its count reached, a failed write);
// an end of its own is pushed to the client as an unasked line. The capture's
// thread tells this handler through an eventfd the server watches, so every
// capture is created, stopped and destroyed on the server's thread.
class NodeControl final : public ControlHandler {
 public:
  // tap_networks: weftd.json's "tap" (a join without "tap" of one of these
  // networks uses its device name).
  explicit NodeControl(runtime::NodeRuntime& runtime,
                       std::map<NetworkId, std::string> tap_networks = {});
  ~NodeControl() override;
  NodeControl(const NodeControl&) = delete;
  NodeControl& operator=(const NodeControl&) = delete;

  nlohmann::json handle(const ControlRequest& request, ConnectionId from) override;
  void on_closed(ConnectionId id) override;
  [[nodiscard]] std::vector<int> watched_fds() const override;
  std::vector<Push> on_watched_fd(int fd) override;

 private:
  nlohmann::json status() const;
  nlohmann::json peers() const;
  nlohmann::json networks() const;
  nlohmann::json stats() const;
  nlohmann::json join(NetworkId network, std::optional<std::string> tap);
  nlohmann::json leave(NetworkId network);
  nlohmann::json capture(const ControlRequest& request, ConnectionId from);
  nlohmann::json capture_stop(ConnectionId from);
  void log_events();

  runtime::NodeRuntime& runtime_;
  const std::map<NetworkId, std::string> tap_networks_;
  const std::chrono::steady_clock::time_point started_;
  osdep::UniqueFd capture_ended_;  // eventfd: a capture's thread ended by itself
  std::map<ConnectionId, std::unique_ptr<runtime::NetworkCapture>> captures_;
};

}  // namespace weft::service
