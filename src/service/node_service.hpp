#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "node/node.hpp"
#include "osdep/endpoint.hpp"
#include "osdep/pid_lock.hpp"
#include "runtime/node_runtime.hpp"
#include "service/control_server.hpp"
#include "service/intercept_server.hpp"
#include "service/node_control.hpp"

namespace weft::service {

struct NodeServiceConfig {
  // identity.secret, networks, weftd.pid, control.sock; created 0700 if missing.
  std::string state_dir;
  std::string control_socket;    // empty: <state_dir>/control.sock
  std::string intercept_socket;  // empty: <state_dir>/intercept.sock
  std::vector<node::RootEntry> roots;
  osdep::Endpoint bind{osdep::Endpoint::parse("0.0.0.0:0").value()};
  // weftd.json's "tap": networks a plain `weft join` joins in kernel TAP mode.
  std::map<NetworkId, std::string> tap_networks;
};

// The virtual networks' prefixes (each assigned address with its prefix
// length): what the intercept treats as virtual.
std::vector<wire::VirtualPrefix> virtual_prefixes(const runtime::NodeRuntime& runtime);
// A member-name lookup's outcome as the intercept protocol says it.
wire::ResolveAnswer resolve_answer(const Result<runtime::NameResolution>& r);

// weftd's default role: one node (a runtime::NodeRuntime over a DirectoryState
// in the state directory) for this user, driven through the control API.
//
// Order: the state directory's lock first (two daemons never share one), the
// runtime next, the servers that reach into the runtime last; stop() undoes
// it in reverse, so no server ever sees a stopped runtime.
class NodeService {
 public:
  // Error::busy if another process holds the state directory
  // (holder(state_dir) names it); the runtime's and the control socket's errors.
  static Result<std::unique_ptr<NodeService>> start(NodeServiceConfig config);
  ~NodeService();
  NodeService(const NodeService&) = delete;
  NodeService& operator=(const NodeService&) = delete;

  // Servers first, then the runtime. Idempotent.
  void stop() noexcept;

  [[nodiscard]] runtime::NodeRuntime& runtime() noexcept { return *runtime_; }
  [[nodiscard]] const std::string& control_socket() const noexcept { return control_->path(); }
  [[nodiscard]] const std::string& intercept_socket() const noexcept { return intercept_->path(); }

  [[nodiscard]] static std::string pid_file(const std::string& state_dir) {
    return state_dir + "/weftd.pid";
  }
  // The pid of the daemon using `state_dir`, as its pid file says.
  [[nodiscard]] static std::optional<pid_t> holder(const std::string& state_dir) {
    return osdep::PidLock::holder(pid_file(state_dir));
  }

 private:
  explicit NodeService(osdep::PidLock lock) noexcept : lock_(std::move(lock)) {}

  // Declared first: released last, after everything that uses the directory.
  osdep::PidLock lock_;
  std::unique_ptr<runtime::NodeRuntime> runtime_;
  std::unique_ptr<NodeControl> control_handler_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<InterceptServer> intercept_;
  bool stopped_{false};
};

}  // namespace weft::service
