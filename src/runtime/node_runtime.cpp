#include "runtime/node_runtime.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "runtime/identity_store.hpp"
#include "vnet/member_mac.hpp"

namespace weft::runtime {

namespace {
std::atomic<bool> g_running{false};
}  // namespace

Result<std::unique_ptr<NodeRuntime>> NodeRuntime::start(NodeRuntimeConfig config) {
  if (g_running.exchange(true)) return Error::already_exists;
  auto fail = [](Error e) {
    g_running.store(false);
    return e;
  };
  auto identity = IdentityStore::load_or_create(config.state_dir);
  if (!identity) return fail(identity.error());
  WireNodeConfig wc;
  wc.bind = config.bind;
  wc.node.roots = std::move(config.roots);
  wc.node.controller = config.controller;
  auto wire = WireNode::open(std::move(*identity), std::move(wc));
  if (!wire) return fail(wire.error());
  std::unique_ptr<NodeRuntime> self(new NodeRuntime(std::move(*wire)));
  if (auto r = self->wire_->start(*self); !r) return fail(r.error());
  return self;
}

NodeRuntime::NodeRuntime(std::unique_ptr<WireNode> wire) noexcept : wire_(std::move(wire)) {}

NodeRuntime::~NodeRuntime() { stop(); }

void NodeRuntime::stop() noexcept {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  changed_.notify_all();
  wire_->stop();
  ports_.clear();  // the I/O thread is gone: nothing delivers to them any more
  g_running.store(false);
}

Result<void> NodeRuntime::join(NetworkId network) { return wire_->join(network); }

Result<void> NodeRuntime::leave(NetworkId network) { return wire_->leave(network); }

Result<vnet::Address> NodeRuntime::wait_for_address(NetworkId network, bool ipv6,
                                                    Duration timeout) {
  std::unique_lock lock(mutex_);
  Result<vnet::Address> result = Error::timed_out;
  changed_.wait_for(lock, timeout, [&] {
    if (stopped_) {
      result = Error::invalid_state;
      return true;
    }
    const auto it = state_.find(network);
    if (it == state_.end()) return false;
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

NetworkPort* NodeRuntime::port_for(NetworkId network) {
  if (auto it = ports_.find(network); it != ports_.end()) return it->second.get();
  const auto config = wire_->network_config(network);
  if (!config) return nullptr;
  auto port =
      NetworkPort::open(*wire_, network, vnet::MemberMac::derive(network, address()), config->mtu);
  if (!port) {
    log::warn("runtime", "network {}: no port: {}", network.to_string(), message(port.error()));
    return nullptr;
  }
  return ports_.emplace(network, std::move(*port)).first->second.get();
}

void NodeRuntime::on_network_frames(NetworkId network, std::span<const ByteSpan> frames) {
  if (auto* port = port_for(network)) port->put(frames);
}

void NodeRuntime::on_event(const node::NodeEvent& event) {
  using Kind = node::NodeEvent::Kind;
  if (!event.network) return;
  const NetworkId network = *event.network;
  NetworkPort* port = port_for(network);
  {
    std::lock_guard lock(mutex_);
    NetworkState& st = state_[network];
    switch (event.kind) {
      case Kind::network_ready: st.refused.reset(); break;
      case Kind::network_denied:
      case Kind::network_not_found: st.refused = event.kind; break;
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
  changed_.notify_all();
}

}  // namespace weft::runtime
