#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "controller/admin_server.hpp"
#include "controller/controller.hpp"
#include "controller/node_hook.hpp"
#include "node/node.hpp"
#include "osdep/endpoint.hpp"
#include "runtime/wire_node.hpp"

namespace weft::service {

struct ControllerServiceConfig {
  // identity.secret (the node's and the controller's: network ids carry its
  // address), controller.db (SQLite) and admin.token (0600), created if absent.
  std::string state_dir;
  std::vector<node::RootEntry> roots;
  osdep::Endpoint bind{osdep::Endpoint::loopback_v4(0)};
  std::string admin_bind{"127.0.0.1"};
  int admin_port{9440};  // 0: any free port
};

// A network controller on the peer layer (`weftd --controller`): a node that
// answers its members' config requests and pushes changes, plus the admin
// API on loopback. An admin change wakes the node at once, so pushes
// (a deauthorization's revocation above all) leave within one round trip.
class ControllerService final : private runtime::WireNodeObserver {
 public:
  static Result<std::unique_ptr<ControllerService>> start(const ControllerServiceConfig& config);
  ~ControllerService() override;
  ControllerService(const ControllerService&) = delete;
  ControllerService& operator=(const ControllerService&) = delete;

  void stop() noexcept;

  [[nodiscard]] NodeId address() const noexcept { return node_->address(); }
  [[nodiscard]] const crypto::PublicIdentity& public_identity() const noexcept {
    return node_->public_identity();
  }
  [[nodiscard]] const osdep::Endpoint& local() const noexcept { return node_->local(); }
  [[nodiscard]] int admin_port() const noexcept { return admin_->port(); }
  [[nodiscard]] std::string token_file() const { return token_file_; }
  [[nodiscard]] controller::Controller& controller() noexcept { return *controller_; }

 private:
  ControllerService() = default;

  std::string token_file_;
  std::unique_ptr<controller::Controller> controller_;
  std::unique_ptr<controller::NodeHook> hook_;
  std::unique_ptr<runtime::WireNode> node_;
  std::unique_ptr<controller::AdminServer> admin_;
};

}  // namespace weft::service
