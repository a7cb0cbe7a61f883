#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/instant.hpp"
#include "base/network_id.hpp"
#include "base/result.hpp"
#include "node/controller_hook.hpp"
#include "node/node.hpp"
#include "osdep/endpoint.hpp"
#include "runtime/network_port.hpp"
#include "runtime/wire_node.hpp"
#include "vnet/network_switch.hpp"

namespace weft::runtime {

struct NodeRuntimeConfig {
  // Holds the identity (created on first start); see IdentityStore.
  std::string state_dir;
  std::vector<node::RootEntry> roots;
  osdep::Endpoint bind{osdep::Endpoint::loopback_v4(0)};
  // A controller this node hosts (not owned; must outlive the runtime).
  node::ControllerHook* controller{nullptr};
};

// A node with its networks wired into this process's stack: a WireNode, and
// for every network that becomes ready a NetworkPort (tap + lwIP netif) that
// takes the addresses its controller assigns. The process's sockets
// (runtime::sockets(), the public C API) then reach the other members.
//
// lwIP holds one stack per process, so one NodeRuntime runs at a time:
// starting a second is Error::already_exists.
class NodeRuntime final : private WireNodeObserver {
 public:
  static Result<std::unique_ptr<NodeRuntime>> start(NodeRuntimeConfig config);
  ~NodeRuntime() override;
  NodeRuntime(const NodeRuntime&) = delete;
  NodeRuntime& operator=(const NodeRuntime&) = delete;

  // Joins the threads and removes the ports; the process may start another.
  void stop() noexcept;

  Result<void> join(NetworkId network);
  Result<void> leave(NetworkId network);

  // Blocks until `network` has an address of the family (ipv6 or not) or
  // `timeout` passes: Error::timed_out; Error::not_authorized if the
  // controller refused us, Error::not_found if it has no such network.
  Result<vnet::Address> wait_for_address(NetworkId network, bool ipv6, Duration timeout);

  [[nodiscard]] WireNode& wire() noexcept { return *wire_; }
  [[nodiscard]] NodeId address() const noexcept { return wire_->address(); }

 private:
  struct NetworkState {
    std::vector<vnet::Address> addresses;
    std::optional<node::NodeEvent::Kind> refused;  // network_denied / network_not_found
  };

  explicit NodeRuntime(std::unique_ptr<WireNode> wire) noexcept;
  void on_network_frames(NetworkId network, std::span<const ByteSpan> frames) override;
  void on_event(const node::NodeEvent& event) override;
  NetworkPort* port_for(NetworkId network);  // the I/O thread's; opens it on first use

  std::unique_ptr<WireNode> wire_;
  // The I/O thread's only (created in on_event, used in on_network_frames);
  // destroyed after the thread is joined.
  std::map<NetworkId, std::unique_ptr<NetworkPort>> ports_;

  std::mutex mutex_;  // state_, for the application's threads
  std::condition_variable changed_;
  std::map<NetworkId, NetworkState> state_;
  bool stopped_{false};
};

}  // namespace weft::runtime
