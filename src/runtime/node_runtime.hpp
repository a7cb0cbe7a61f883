#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/instant.hpp"
#include "base/network_id.hpp"
#include "base/result.hpp"
#include "crypto/identity.hpp"
#include "node/controller_hook.hpp"
#include "node/node.hpp"
#include "osdep/endpoint.hpp"
#include "runtime/event_queue.hpp"
#include "runtime/member_names.hpp"
#include "runtime/network_capture.hpp"
#include "runtime/network_port.hpp"
#include "runtime/state_store.hpp"
#include "runtime/wire_node.hpp"
#include "vnet/network_switch.hpp"

namespace weft::runtime {

struct NodeRuntimeConfig {
  std::vector<node::RootEntry> roots;
  osdep::Endpoint bind{osdep::Endpoint::loopback_v4(0)};
  // A controller this node hosts (not owned; must outlive the runtime).
  node::ControllerHook* controller{nullptr};
  // Events waiting for the application beyond this many are counted as lost.
  std::size_t event_capacity{256};
};

// How a joined network reaches this host.
struct JoinOptions {
  // Set: the Linux kernel's own stack is the member, through a TAP device of
  // this name (osdep::LinuxTap; "weft%d" lets the kernel number it), and every
  // program on the host reaches the network unmodified. Needs CAP_NET_ADMIN.
  // Unset: this process's lwIP stack (the SDK's sockets).
  std::optional<std::string> kernel_tap;
  bool operator==(const JoinOptions&) const = default;
};

// A node with its networks wired into this process's stack: a WireNode while
// started, and for every network that becomes ready a NetworkPort (tap + lwIP
// netif) that takes the addresses its controller assigns. The process's
// sockets (runtime::sockets(), the public C API) then reach the other members.
//
// State (identity, joined networks) lives in a StateStore and survives stop()
// and start() — and, with a DirectoryState, the process: a restarted node
// rejoins its networks by itself. Events wait in an EventQueue for the
// application; wait_for_address() blocks for the common case.
//
// lwIP holds one stack per process, so one NodeRuntime exists at a time:
// creating a second is Error::busy. All members may be called from any
// application thread; never from the node's own I/O thread.
//
// "The I/O thread" below is whichever thread handles the node's datagrams:
// the WireNode's own, or an application thread blocked in a socket call that
// receives in its place (WireNode::receive_pump); one at a time.
class NodeRuntime final : private WireNodeObserver {
 public:
  // Loads the identity from `state`, or stores `identity` (or a new one) there
  // (IdentityStore's errors), and the networks joined before.
  static Result<std::unique_ptr<NodeRuntime>> create(std::unique_ptr<StateStore> state,
                                                     NodeRuntimeConfig config,
                                                     std::optional<crypto::Identity> identity = {});
  // create() and start() in one (Error of either).
  static Result<std::unique_ptr<NodeRuntime>> start(std::unique_ptr<StateStore> state,
                                                    NodeRuntimeConfig config);
  ~NodeRuntime() override;
  NodeRuntime(const NodeRuntime&) = delete;
  NodeRuntime& operator=(const NodeRuntime&) = delete;

  // Binds the UDP socket, starts the I/O thread (registration with the roots
  // begins at once) and joins the networks joined before. Error::invalid_state
  // if running; the socket's errors (Error::address_in_use...).
  Result<void> start();
  // Joins the thread, closes the socket and removes the ports; start() may
  // follow. A no-op when stopped.
  void stop() noexcept;
  [[nodiscard]] bool running() const;

  // Joined networks are kept in the state (with their options) and joined
  // whenever the node runs.
  // join: Error::invalid_argument (a network this node controls, or a bad
  // TAP device name), Error::too_large (too many networks); joining again
  // with the same options is a no-op, with others Error::already_connected
  // (leave first). In kernel TAP mode the device is made at once while the
  // node runs, so its errors come back here and nothing is joined:
  // Error::already_exists (a device of that name exists),
  // Error::permission_denied (no CAP_NET_ADMIN), Error::not_found (no
  // /dev/net/tun). On a later start() a device that cannot be made keeps its
  // network from being rejoined (logged); the other networks carry on.
  // leave: Error::not_found if not joined; the device goes with the network,
  // before leave returns (it waits, at most kLeaveDeviceWait, for the I/O
  // thread to remove the network's port), so joining again at once with the
  // same device name finds the name free.
  // Either: the state's write errors.
  Result<void> join(NetworkId network, JoinOptions options = {});
  Result<void> leave(NetworkId network);
  [[nodiscard]] std::vector<NetworkId> networks() const;
  [[nodiscard]] bool joined(NetworkId network) const;
  // The options `network` was joined with (nullopt if not joined).
  [[nodiscard]] std::optional<JoinOptions> join_options(NetworkId network) const;
  // The kernel TAP device of `network` as the kernel named it, while it
  // exists (kernel mode, node running).
  [[nodiscard]] std::optional<std::string> kernel_device(NetworkId network) const;

  // Blocks until `network` has an address of the family (ipv6 or not) or
  // `timeout` passes: Error::timed_out; Error::not_authorized if the
  // controller refused us, Error::not_found if it has no such network,
  // Error::invalid_state if the node is stopped (or stops meanwhile) or the
  // network is not joined.
  Result<vnet::Address> wait_for_address(NetworkId network, bool ipv6, Duration timeout);
  // The addresses `network` has now (empty when stopped).
  [[nodiscard]] std::vector<vnet::Address> addresses(NetworkId network) const;
  // Where a joined network stands: waiting for its first config (also when
  // stopped), ready (frames flow), or refused by its controller.
  enum class NetworkStatus : std::uint8_t { requesting, ready, denied, not_found };
  [[nodiscard]] NetworkStatus network_status(NetworkId network) const;

  // Development: outbound frames on every network pass a FaultLine (loss,
  // reordering, duplication, corruption, delay). Only while stopped
  // (Error::invalid_state otherwise); applies from the next start().
  Result<void> set_faults(std::optional<tap::FaultConfig> faults);

  // Records `network`'s frames, both directions, into a pcap file at `path`
  // (created 0600, or truncated) until the capture is stopped or destroyed (or
  // `options.count` frames). Works while the network is still requesting its
  // config, and across stop()/start(): frames are recorded whenever its port
  // exists. `on_end`: see NetworkCapture. Error::not_found if not joined,
  // Error::too_large past kMaxCaptures at once, the file's errors
  // (Error::permission_denied, Error::not_found for a missing directory...).
  static constexpr std::size_t kMaxCaptures = 16;
  // How long leave() waits for a kernel-mode network's device to go.
  static constexpr std::chrono::seconds kLeaveDeviceWait{5};
  Result<std::unique_ptr<NetworkCapture>> capture(NetworkId network, const std::string& path,
                                                  const CaptureOptions& options,
                                                  std::function<void()> on_end = {});

  // Resolves a member name of the joined networks (MemberNames says how);
  // `done` runs on this thread or, when a controller must be asked, on the
  // node's I/O thread. Error::invalid_state when stopped (or stopping meanwhile).
  void resolve_name(std::string_view name, NameCallback done);

  [[nodiscard]] EventQueue& events() noexcept { return *events_; }
  // nullopt when stopped.
  [[nodiscard]] std::optional<WireNode::Stats> stats() const;
  // Every root and peer (empty when stopped); a snapshot, not for the data path.
  [[nodiscard]] std::vector<node::PeerStats> peer_stats() const;
  // Whether any root has acknowledged our registration (false when stopped).
  [[nodiscard]] bool online() const;
  // The UDP endpoint the node is bound to (nullopt when stopped).
  [[nodiscard]] std::optional<osdep::Endpoint> local() const;

  [[nodiscard]] NodeId address() const noexcept { return identity_.address(); }
  [[nodiscard]] const crypto::Identity& identity() const noexcept { return identity_; }
  // Running only (asserted): the node itself, for tools and tests.
  [[nodiscard]] WireNode& wire() noexcept;

 private:
  struct NetworkState {
    std::vector<vnet::Address> addresses;
    bool ready{false};
    std::optional<node::NodeEvent::Kind> refused;  // network_denied / network_not_found
  };

  NodeRuntime(std::unique_ptr<StateStore> state, NodeRuntimeConfig config,
              crypto::Identity identity, std::map<NetworkId, JoinOptions> networks,
              std::unique_ptr<EventQueue> events) noexcept;
  Result<void> save_networks(const std::map<NetworkId, JoinOptions>& networks);
  // The device of a kernel-mode network, given the member's MAC (not started).
  Result<std::unique_ptr<tap::KernelLink>> open_kernel_link(NetworkId network,
                                                            const std::string& name) const;
  void on_network_frames(NetworkId network, std::span<const ByteSpan> frames) override;
  void on_event(const node::NodeEvent& event) override;
  void on_name_answer(const wire::NameAnswer& answer) override;
  // Forgets `network`'s kernel mode and returns its device not yet taken by a
  // port, if any: dropped by the caller, outside ports_mutex_, it goes away.
  std::unique_ptr<tap::KernelLink> take_kernel_link(NetworkId network);
  NetworkPort* port_for(NetworkId network);  // the I/O thread's; opens it on first use
  friend class NetworkCapture;
  void detach_capture(NetworkId network, tap::CaptureQueue& queue);

  std::unique_ptr<StateStore> state_;
  const NodeRuntimeConfig config_;
  const crypto::Identity identity_;
  const std::unique_ptr<EventQueue> events_;

  // Serialises start/stop/join/leave; guards wire_ and networks_ (the I/O
  // thread uses wire_ only while it exists, between start() and stop()).
  mutable std::mutex control_;
  std::unique_ptr<WireNode> wire_;
  std::map<NetworkId, JoinOptions> networks_;
  SteadyClock clock_;
  MemberNames names_;
  // Set while stopped; read by the I/O thread (port_for) only while running.
  std::optional<tap::FaultConfig> faults_;

  // Created and removed by the I/O thread (on_event, on_network_frames), and
  // cleared after it is joined; it reads without a lock, every change and any
  // other thread's read holds ports_mutex_ (capture attaches from the
  // application's threads). Lock order: ports_mutex_ -> a port's capture lock.
  mutable std::mutex ports_mutex_;
  std::map<NetworkId, std::unique_ptr<NetworkPort>> ports_;
  std::multimap<NetworkId, tap::CaptureQueue*> captures_;  // guarded by ports_mutex_
  // Kernel mode, guarded by ports_mutex_: the networks joined so, and their
  // devices made (at join or start) but not yet taken by a port (port_for
  // takes one when the network's config arrives). A kernel-mode network never
  // gets an lwIP port, even while its device is missing.
  std::set<NetworkId> kernel_networks_;
  std::map<NetworkId, std::unique_ptr<tap::KernelLink>> kernel_links_;
  // Networks whose port the I/O thread has taken out of ports_ and is
  // destroying (its device still exists until then); guarded by
  // ports_mutex_, ports_gone_ notified when one is done.
  std::set<NetworkId> removing_;
  std::condition_variable ports_gone_;

  mutable std::mutex mutex_;  // guards below: what the application's threads wait on
  std::condition_variable changed_;
  std::map<NetworkId, NetworkState> state_by_network_;
  bool running_{false};
};

}  // namespace weft::runtime
