#include "runtime/node_runtime.hpp"

#include <algorithm>
#include <atomic>

#include "base/assert.hpp"
#include "base/log.hpp"
#include "runtime/identity_store.hpp"
#include "runtime/sockets.hpp"
#include "vnet/member_mac.hpp"

namespace weft::runtime {

namespace {

std::atomic<bool> g_exists{false};

constexpr const char* kNetworksObject = "networks";

constexpr std::string_view kTapOption = " tap=";

// The networks object: one network per line, its id (16 hex digits), then
// " tap=NAME" for one joined in kernel TAP mode.
Result<std::map<NetworkId, JoinOptions>> parse_networks(std::string_view text) {
  std::map<NetworkId, JoinOptions> out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    JoinOptions options;
    if (const auto tap = line.find(kTapOption); tap != std::string_view::npos) {
      const std::string_view name = line.substr(tap + kTapOption.size());
      if (!osdep::LinuxTap::valid_name(name)) return Error::malformed;
      options.kernel_tap = std::string(name);
      line = line.substr(0, tap);
    }
    auto id = NetworkId::parse(line);
    if (!id) return Error::malformed;
    out[*id] = std::move(options);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<NodeRuntime>> NodeRuntime::create(std::unique_ptr<StateStore> state,
                                                         NodeRuntimeConfig config,
                                                         std::optional<crypto::Identity> identity) {
  if (!state) return Error::invalid_argument;
  if (g_exists.exchange(true)) return Error::busy;
  auto fail = [](Error e) {
    g_exists.store(false);
    return e;
  };
  auto id = IdentityStore::load_or_create(*state, std::move(identity));
  if (!id) return fail(id.error());
  std::map<NetworkId, JoinOptions> networks;
  auto saved = state->get(kNetworksObject, StateStore::Secrecy::open);
  if (!saved) return fail(saved.error());
  if (*saved) {
    auto parsed = parse_networks(**saved);
    if (!parsed) return fail(parsed.error());
    networks = std::move(*parsed);
  }
  auto events = EventQueue::create(std::max<std::size_t>(config.event_capacity, 1));
  if (!events) return fail(events.error());
  return std::unique_ptr<NodeRuntime>(new NodeRuntime(std::move(state), std::move(config),
                                                      std::move(*id), std::move(networks),
                                                      std::move(*events)));
}

Result<std::unique_ptr<NodeRuntime>> NodeRuntime::start(std::unique_ptr<StateStore> state,
                                                        NodeRuntimeConfig config) {
  auto self = create(std::move(state), std::move(config));
  if (!self) return self.error();
  WEFT_TRY((*self)->start());
  return self;
}

NodeRuntime::NodeRuntime(std::unique_ptr<StateStore> state, NodeRuntimeConfig config,
                         crypto::Identity identity, std::map<NetworkId, JoinOptions> networks,
                         std::unique_ptr<EventQueue> events) noexcept
    : state_(std::move(state)),
      config_(std::move(config)),
      identity_(std::move(identity)),
      events_(std::move(events)),
      networks_(std::move(networks)) {
  for (const auto& [network, options] : networks_)
    if (options.kernel_tap) kernel_networks_.insert(network);
}

NodeRuntime::~NodeRuntime() {
  stop();
  events_->close();
  g_exists.store(false);
}

Result<void> NodeRuntime::start() {
  std::lock_guard control(control_);
  if (wire_) return Error::invalid_state;
  WireNodeConfig wc;
  wc.bind = config_.bind;
  wc.node.roots = config_.roots;
  wc.node.controller = config_.controller;
  auto wire = WireNode::open(identity_.clone(), std::move(wc));
  if (!wire) return wire.error();
  wire_ = std::move(*wire);
  {
    std::lock_guard lock(mutex_);
    running_ = true;
  }
  if (auto r = wire_->start(*this); !r) {
    wire_.reset();
    std::lock_guard lock(mutex_);
    running_ = false;
    return r.error();
  }
  // A thread blocked in a socket call receives the node's datagrams itself.
  sockets().add_receive_pump(wire_->receive_pump());
  for (const auto& [network, options] : networks_) {
    if (options.kernel_tap) {
      auto link = open_kernel_link(network, *options.kernel_tap);
      if (!link) {
        log::warn("runtime", "network {}: not rejoined: TAP device {}: {}", network.to_string(),
                  *options.kernel_tap, message(link.error()));
        continue;
      }
      std::lock_guard lock(ports_mutex_);
      kernel_links_[network] = std::move(*link);
    }
    // Checked when it was joined; a later config (fewer max networks) may refuse it.
    if (auto r = wire_->join(network); !r)
      log::warn("runtime", "network {}: not rejoined: {}", network.to_string(), message(r.error()));
  }
  return {};
}

void NodeRuntime::stop() noexcept {
  std::lock_guard control(control_);
  if (!wire_) return;
  {
    std::lock_guard lock(mutex_);
    running_ = false;  // waiters leave now
  }
  changed_.notify_all();
  sockets().remove_receive_pump(wire_->receive_pump());  // no pump() once this returns
  wire_->stop();
  // The I/O thread is gone: nothing delivers to the ports any more. Captures
  // stay registered for the next start().
  std::map<NetworkId, std::unique_ptr<NetworkPort>> ports;
  std::map<NetworkId, std::unique_ptr<tap::KernelLink>> links;
  {
    std::lock_guard lock(ports_mutex_);
    for (auto& [_, port] : ports_) port->detach_all_captures();
    ports.swap(ports_);
    links.swap(kernel_links_);
  }
  ports.clear();  // kernel-mode ports remove their devices
  links.clear();
  wire_.reset();
  names_.fail_all(Error::invalid_state);
  std::lock_guard lock(mutex_);
  state_by_network_.clear();  // after the join: the I/O thread may have added to it until then
}

void NodeRuntime::resolve_name(std::string_view name, NameCallback done) {
  std::lock_guard control(control_);
  if (!wire_) {
    done(Error::invalid_state);
    return;
  }
  std::vector<NamedNetwork> named;
  for (const auto& [id, options] : networks_)
    if (auto config = wire_->network_config(id))
      named.push_back({id, std::move(config->dns_domain)});
  WireNode& wire = *wire_;
  names_.resolve(
      clock_.now(), name, named,
      [&wire](NetworkId id, std::uint32_t query, std::string_view label) {
        return wire.query_name(id, query, label);
      },
      std::move(done));
}

void NodeRuntime::on_name_answer(const wire::NameAnswer& answer) {
  names_.answer(clock_.now(), answer);
}

Result<void> NodeRuntime::set_faults(std::optional<tap::FaultConfig> faults) {
  std::lock_guard control(control_);
  if (wire_) return Error::invalid_state;
  faults_ = faults;
  return {};
}

bool NodeRuntime::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

WireNode& NodeRuntime::wire() noexcept {
  std::lock_guard control(control_);
  WEFT_ASSERT(wire_ != nullptr);
  return *wire_;
}

Result<void> NodeRuntime::save_networks(const std::map<NetworkId, JoinOptions>& networks) {
  std::string text;
  for (const auto& [n, options] : networks) {
    text += n.to_string();
    if (options.kernel_tap) {
      text += kTapOption;
      text += *options.kernel_tap;
    }
    text += '\n';
  }
  return state_->put(kNetworksObject, text, StateStore::Secrecy::open);
}

Result<std::unique_ptr<tap::KernelLink>> NodeRuntime::open_kernel_link(
    NetworkId network, const std::string& name) const {
  auto device = osdep::LinuxTap::open(name);
  if (!device) return device.error();
  WEFT_TRY(device->set_mac(vnet::MemberMac::derive(network, address())));
  return tap::KernelLink::create(std::move(*device));
}

Result<void> NodeRuntime::join(NetworkId network, JoinOptions options) {
  std::lock_guard control(control_);
  if (const auto it = networks_.find(network); it != networks_.end())
    return it->second == options ? Result<void>() : Result<void>(Error::already_connected);
  if (network.controller() == address()) return Error::invalid_argument;
  if (options.kernel_tap && !osdep::LinuxTap::valid_name(*options.kernel_tap))
    return Error::invalid_argument;
  if (networks_.size() >= node::NodeConfig{}.max_networks) return Error::too_large;
  // The device first: its errors (name taken, no permission, no tun) are the
  // ones a user of --tap needs to see, and nothing is joined if it fails.
  std::unique_ptr<tap::KernelLink> link;
  if (wire_ && options.kernel_tap) {
    auto l = open_kernel_link(network, *options.kernel_tap);
    if (!l) return l.error();
    link = std::move(*l);
  }
  auto next = networks_;
  next[network] = options;
  WEFT_TRY(save_networks(next));
  {
    std::lock_guard lock(ports_mutex_);
    if (options.kernel_tap) kernel_networks_.insert(network);
    if (link) kernel_links_[network] = std::move(link);
  }
  if (wire_) {
    if (auto r = wire_->join(network); !r) {
      take_kernel_link(network);  // the device goes at once
      (void)save_networks(networks_);
      return r.error();
    }
  }
  networks_ = std::move(next);
  return {};
}

Result<void> NodeRuntime::leave(NetworkId network) {
  std::lock_guard control(control_);
  if (!networks_.contains(network)) return Error::not_found;
  auto next = networks_;
  next.erase(network);
  WEFT_TRY(save_networks(next));
  networks_ = std::move(next);
  if (wire_) (void)wire_->leave(network);  // not_found: it was never rejoined; nothing to undo
  // A device not taken by a port yet goes now; a port's goes with the port
  // when the I/O thread sees network_left: waited for, so the device name is
  // free when leave returns (a rejoin with it would fail with already_exists).
  take_kernel_link(network);
  std::unique_lock lock(ports_mutex_);
  const auto gone = [&] {
    const auto it = ports_.find(network);
    return !removing_.contains(network) &&
           (it == ports_.end() || it->second->kernel_device().empty());
  };
  if (!ports_gone_.wait_for(lock, kLeaveDeviceWait, gone))
    log::warn("runtime", "network {}: its device is still there after leaving",
              network.to_string());
  return {};
}

std::unique_ptr<tap::KernelLink> NodeRuntime::take_kernel_link(NetworkId network) {
  std::lock_guard lock(ports_mutex_);
  kernel_networks_.erase(network);
  auto it = kernel_links_.find(network);
  if (it == kernel_links_.end()) return nullptr;
  auto link = std::move(it->second);
  kernel_links_.erase(it);
  return link;
}

std::vector<NetworkId> NodeRuntime::networks() const {
  std::lock_guard control(control_);
  std::vector<NetworkId> out;
  for (const auto& [n, _] : networks_) out.push_back(n);
  return out;
}

bool NodeRuntime::joined(NetworkId network) const {
  std::lock_guard control(control_);
  return networks_.contains(network);
}

std::optional<JoinOptions> NodeRuntime::join_options(NetworkId network) const {
  std::lock_guard control(control_);
  const auto it = networks_.find(network);
  if (it == networks_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> NodeRuntime::kernel_device(NetworkId network) const {
  std::lock_guard lock(ports_mutex_);
  if (auto it = kernel_links_.find(network); it != kernel_links_.end())
    return it->second->device().name();
  if (auto it = ports_.find(network); it != ports_.end() && !it->second->kernel_device().empty())
    return it->second->kernel_device();
  return std::nullopt;
}

Result<vnet::Address> NodeRuntime::wait_for_address(NetworkId network, bool ipv6,
                                                    Duration timeout) {
  if (!joined(network)) return Error::invalid_state;
  std::unique_lock lock(mutex_);
  Result<vnet::Address> result = Error::timed_out;
  changed_.wait_for(lock, timeout, [&] {
    if (!running_) {
      result = Error::invalid_state;
      return true;
    }
    const auto it = state_by_network_.find(network);
    if (it == state_by_network_.end()) return false;
    for (const auto& a : it->second.addresses) {
      if (a.ipv6 == ipv6) {
        result = a;
        return true;
      }
    }
    if (it->second.refused) {
      result = *it->second.refused == node::NodeEvent::Kind::network_not_found
                   ? Error::not_found
                   : Error::not_authorized;
      return true;
    }
    return false;
  });
  return result;
}

std::vector<vnet::Address> NodeRuntime::addresses(NetworkId network) const {
  std::lock_guard lock(mutex_);
  const auto it = state_by_network_.find(network);
  if (it == state_by_network_.end()) return {};
  return it->second.addresses;
}

NodeRuntime::NetworkStatus NodeRuntime::network_status(NetworkId network) const {
  std::lock_guard lock(mutex_);
  const auto it = state_by_network_.find(network);
  if (it == state_by_network_.end()) return NetworkStatus::requesting;
  if (it->second.refused)
    return *it->second.refused == node::NodeEvent::Kind::network_not_found
               ? NetworkStatus::not_found
               : NetworkStatus::denied;
  return it->second.ready ? NetworkStatus::ready : NetworkStatus::requesting;
}

std::optional<osdep::Endpoint> NodeRuntime::local() const {
  std::lock_guard control(control_);
  if (!wire_) return std::nullopt;
  return wire_->local();
}

std::optional<WireNode::Stats> NodeRuntime::stats() const {
  std::lock_guard control(control_);
  if (!wire_) return std::nullopt;
  return wire_->stats();
}

std::vector<node::PeerStats> NodeRuntime::peer_stats() const {
  std::lock_guard control(control_);
  if (!wire_) return {};
  return wire_->peer_stats();
}

bool NodeRuntime::online() const {
  std::lock_guard control(control_);
  if (!wire_) return false;
  for (std::size_t i = 0; i < config_.roots.size(); ++i) {
    if (wire_->registered(i)) return true;
  }
  return false;
}

// ---- The I/O thread

NetworkPort* NodeRuntime::port_for(NetworkId network) {
  if (auto it = ports_.find(network); it != ports_.end()) return it->second.get();
  const auto config = wire_->network_config(network);
  if (!config) return nullptr;
  std::unique_ptr<tap::KernelLink> link;
  {
    std::lock_guard lock(ports_mutex_);
    if (kernel_networks_.contains(network)) {
      const auto it = kernel_links_.find(network);
      if (it == kernel_links_.end()) return nullptr;  // left meanwhile, or no device
      link = std::move(it->second);
      kernel_links_.erase(it);
    }
  }
  auto port = link
                  ? NetworkPort::open_kernel(*wire_, network, config->mtu, std::move(link), faults_)
                  : NetworkPort::open(*wire_, network, vnet::MemberMac::derive(network, address()),
                                      config->mtu, faults_);
  if (!port) {
    log::warn("runtime", "network {}: no port: {}", network.to_string(), message(port.error()));
    return nullptr;
  }
  std::lock_guard lock(ports_mutex_);
  const auto [from, to] = captures_.equal_range(network);
  for (auto it = from; it != to; ++it) (*port)->attach_capture(*it->second);
  return ports_.emplace(network, std::move(*port)).first->second.get();
}

Result<std::unique_ptr<NetworkCapture>> NodeRuntime::capture(NetworkId network,
                                                             const std::string& path,
                                                             const CaptureOptions& options,
                                                             std::function<void()> on_end) {
  if (!joined(network)) return Error::not_found;
  {
    std::lock_guard lock(ports_mutex_);
    if (captures_.size() >= kMaxCaptures) return Error::too_large;
  }
  auto c = NetworkCapture::open(*this, network, path, options, std::move(on_end));
  if (!c) return c.error();
  bool full = false;
  {
    std::lock_guard lock(ports_mutex_);
    full = captures_.size() >= kMaxCaptures;
    if (!full) {
      captures_.emplace(network, &(*c)->queue());
      if (auto it = ports_.find(network); it != ports_.end())
        it->second->attach_capture((*c)->queue());
    }
  }
  if (full) return Error::too_large;  // outside the lock: the capture's destructor takes it
  (*c)->start();
  return std::move(*c);
}

void NodeRuntime::detach_capture(NetworkId network, tap::CaptureQueue& queue) {
  std::lock_guard lock(ports_mutex_);
  const auto [from, to] = captures_.equal_range(network);
  for (auto it = from; it != to; ++it) {
    if (it->second == &queue) {
      captures_.erase(it);
      break;
    }
  }
  if (auto it = ports_.find(network); it != ports_.end()) it->second->detach_capture(queue);
}

void NodeRuntime::on_network_frames(NetworkId network, std::span<const ByteSpan> frames) {
  if (auto* port = port_for(network)) port->put(frames);
}

void NodeRuntime::on_event(const node::NodeEvent& event) {
  using Kind = node::NodeEvent::Kind;
  names_.expire(clock_.now());  // a lookup no answer reached ends by its deadline
  if (!event.network) {
    events_->push(event);
    return;
  }
  const NetworkId network = *event.network;
  NetworkPort* port = nullptr;
  if (event.kind == Kind::network_left) {
    std::unique_ptr<NetworkPort> gone;
    {
      std::lock_guard lock(ports_mutex_);
      if (auto it = ports_.find(network); it != ports_.end()) {
        // Before it leaves the map: a capture stopped from now on will not find it.
        it->second->detach_all_captures();
        gone = std::move(it->second);
        ports_.erase(it);
        removing_.insert(network);
      }
    }
    gone.reset();  // outside the lock: removing the netif takes the stack's lock
    {
      std::lock_guard lock(ports_mutex_);
      removing_.erase(network);
    }
    ports_gone_.notify_all();
  } else {
    port = port_for(network);
  }
  std::lock_guard lock(mutex_);
  if (event.kind == Kind::network_left) {
    state_by_network_.erase(network);
  } else {
    NetworkState& st = state_by_network_[network];
    switch (event.kind) {
      case Kind::network_ready:
        st.ready = true;
        st.refused.reset();
        break;
      case Kind::network_denied:
      case Kind::network_not_found:
        st.ready = false;
        st.refused = event.kind;
        break;
      case Kind::address_assigned:
        if (event.address && port != nullptr && port->add_address(*event.address))
          st.addresses.push_back(*event.address);
        break;
      case Kind::address_removed:
        if (event.address) {
          if (port != nullptr) (void)port->remove_address(*event.address);
          std::erase(st.addresses, *event.address);
        }
        break;
      default: break;
    }
  }
  // The event is queued before the state it describes becomes visible to a
  // waiter (both under mutex_): whoever sees an address (wait_for_address)
  // finds its event queued, and whoever takes the event finds the address.
  events_->push(event);
  changed_.notify_all();
}

}  // namespace weft::runtime
