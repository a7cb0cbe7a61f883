// The public C API's nodes (include/weft/weft.h, "Nodes") over NodeRuntime.
//
// Handles are checked against a registry before use, so a NULL, freed or
// foreign pointer is EBADF, never a dereference. A call holds its node alive
// (shared_ptr) while it runs; weft_node_free stops the node first, which wakes
// every call waiting on it.

#include <arpa/inet.h>
#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "runtime/api_error.hpp"
#include "runtime/directory_state.hpp"
#include "runtime/memory_state.hpp"
#include "runtime/network_port.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/wire_endpoint.hpp"
#include "socket/errno_map.hpp"
#include "socket/sockaddr.hpp"
#include "weft/weft.h"

struct weft_node {
  std::shared_ptr<weft::runtime::NodeRuntime> runtime;
};

namespace {

using weft::Error;
using weft::runtime::NodeRuntime;
using weft::runtime::StateStore;
namespace api = weft::runtime::api;

std::mutex g_mutex;
std::map<const weft_node*, std::shared_ptr<NodeRuntime>> g_nodes;  // guarded by g_mutex

std::shared_ptr<NodeRuntime> lookup(const weft_node* node) {
  std::lock_guard lock(g_mutex);
  const auto it = g_nodes.find(node);
  return it == g_nodes.end() ? nullptr : it->second;
}

int bad_handle() { return api::fail(EBADF, "not a live weft_node handle (NULL or freed)"); }

// StateStore over the application's callbacks.
class CallbackState final : public StateStore {
 public:
  explicit CallbackState(const weft_state_callbacks& c) : c_(c) {}

  weft::Result<std::optional<std::string>> get(std::string_view name, Secrecy /*s*/) override {
    const std::string key(name);
    std::string buf(512, '\0');
    for (int attempt = 0; attempt < 4; ++attempt) {
      const long n = c_.get(c_.user, key.c_str(), buf.data(), buf.size());
      if (n == WEFT_STATE_NOT_FOUND) return std::optional<std::string>();
      if (n < 0) return Error::io;
      if (static_cast<std::size_t>(n) <= buf.size()) {
        buf.resize(static_cast<std::size_t>(n));
        return std::optional<std::string>(std::move(buf));
      }
      if (n > kMaxObject) return Error::too_large;
      buf.assign(static_cast<std::size_t>(n), '\0');
    }
    return Error::io;  // the object keeps growing between calls
  }
  weft::Result<void> put(std::string_view name, std::string_view content, Secrecy /*s*/) override {
    const std::string key(name);
    if (c_.put(c_.user, key.c_str(), content.data(), content.size()) != 0) return Error::io;
    return {};
  }

 private:
  static constexpr long kMaxObject = 1 << 20;
  weft_state_callbacks c_;
};

std::string state_name(const weft_node_config& c) {
  if (c.state_dir != nullptr) return fmt::format("state directory {}", c.state_dir);
  return c.state != nullptr ? "state callbacks" : "in-memory state";
}

// Why creation failed, in words that say what to do.
int creation_failed(Error e, const weft_node_config& c) {
  const std::string where = state_name(c);
  switch (e) {
    case Error::busy:
      return api::fail(EBUSY,
                       "a weft_node already exists in this process (one per process: lwIP "
                       "holds one stack); free it first");
    case Error::already_exists:
      return api::fail(EEXIST, fmt::format("{} holds another identity than the one given", where));
    case Error::insecure_permissions:
      return api::fail(EACCES, fmt::format("{}: identity.secret may be read by group or others "
                                           "(chmod 600 it)",
                                           where));
    case Error::permission_denied:
      return api::fail(EACCES, fmt::format("{}: permission denied", where));
    case Error::malformed:
      return api::fail(EIO, fmt::format("{}: identity.secret or networks is damaged (half-written "
                                        "or edited); restore it, or remove the state to make a "
                                        "new node",
                                        where));
    case Error::verification_failed:
      return api::fail(EIO, fmt::format("{}: identity.public is not identity.secret's", where));
    case Error::invalid_argument:
      return api::fail(EINVAL, fmt::format("{}: not a directory", where));
    default:
      return api::fail(weft::socket::to_errno(e), fmt::format("{}: {}", where, message(e)));
  }
}


int parse_config(const weft_node_config* c, weft::runtime::NodeRuntimeConfig& out,
                 std::optional<weft::crypto::Identity>& identity) {
  if (c == nullptr) return api::fail(EINVAL, "config is NULL");
  if (c->version != WEFT_NODE_CONFIG_VERSION)
    return api::fail(EINVAL, fmt::format("config version {} (this library knows {})", c->version,
                                         WEFT_NODE_CONFIG_VERSION));
  if (c->state_dir != nullptr && c->state != nullptr)
    return api::fail(EINVAL, "config has both state_dir and state: choose one");
  if (c->state != nullptr &&
      (c->state->version != WEFT_STATE_CALLBACKS_VERSION || c->state->get == nullptr ||
       c->state->put == nullptr))
    return api::fail(EINVAL, "state callbacks: unknown version or a NULL get/put");
  if (c->roots == nullptr || c->root_count == 0)
    return api::fail(EINVAL, "no roots: a node finds peers and controllers through a root");
  for (std::size_t i = 0; i < c->root_count; ++i) {
    if (c->roots[i] == nullptr) return api::fail(EINVAL, fmt::format("root {} is NULL", i));
    auto root = weft::runtime::parse_root_entry(c->roots[i]);
    if (!root)
      return api::fail(EINVAL, fmt::format("root {} (\"{}\"): {} (expected <public "
                                           "identity>@<host:port>)",
                                           i, c->roots[i], message(root.error())));
    out.roots.push_back(*root);
  }
  const char* bind = c->bind != nullptr ? c->bind : "0.0.0.0:0";
  auto ep = weft::osdep::Endpoint::parse(bind);
  if (!ep) return api::fail(EINVAL, fmt::format("bind \"{}\": {}", bind, message(ep.error())));
  out.bind = *ep;
  if (c->event_capacity != 0) out.event_capacity = c->event_capacity;
  if (c->identity != nullptr) {
    auto id = weft::crypto::Identity::parse(c->identity);
    if (!id)
      return api::fail(EINVAL, fmt::format("identity: {} (expected the secret text form)",
                                           message(id.error())));
    identity = std::move(*id);
  }
  return 0;
}

std::unique_ptr<StateStore> make_state(const weft_node_config& c) {
  if (c.state_dir != nullptr) return std::make_unique<weft::runtime::DirectoryState>(c.state_dir);
  if (c.state != nullptr) return std::make_unique<CallbackState>(*c.state);
  return std::make_unique<weft::runtime::MemoryState>();
}

// An assigned address in the kernel's form (port 0).
void to_sockaddr(const weft::vnet::Address& a, sockaddr_storage& out) {
  out = {};
  socklen_t len = sizeof out;
  (void)weft::socket::to_sockaddr({weft::runtime::ip_of(a), 0},
                                  reinterpret_cast<sockaddr*>(&out), &len);  // NOLINT
}

int kind_of(weft::node::NodeEvent::Kind k) {
  using K = weft::node::NodeEvent::Kind;
  switch (k) {
    case K::root_registered: return WEFT_EVENT_ROOT_REGISTERED;
    case K::root_lost: return WEFT_EVENT_ROOT_LOST;
    case K::path_direct: return WEFT_EVENT_PEER_DIRECT;
    case K::path_relayed: return WEFT_EVENT_PEER_RELAYED;
    case K::peer_unreachable: return WEFT_EVENT_PEER_UNREACHABLE;
    case K::network_ready: return WEFT_EVENT_NETWORK_READY;
    case K::network_denied: return WEFT_EVENT_NETWORK_DENIED;
    case K::network_not_found: return WEFT_EVENT_NETWORK_NOT_FOUND;
    case K::address_assigned: return WEFT_EVENT_ADDRESS_ASSIGNED;
    case K::address_removed: return WEFT_EVENT_ADDRESS_REMOVED;
    case K::network_left: return WEFT_EVENT_NETWORK_LEFT;
  }
  return 0;
}

void to_event(const weft::runtime::EventQueue::Entry& entry, weft_event& out) {
  out = {};
  if (!entry.event) {
    out.kind = WEFT_EVENT_EVENTS_LOST;
    out.lost = entry.lost;
    return;
  }
  const auto& e = *entry.event;
  out.kind = kind_of(e.kind);
  out.node = e.peer.value();
  if (e.network) out.network = e.network->value();
  if (e.address) {
    to_sockaddr(*e.address, out.address);
    out.prefix_len = e.address->prefix;
  } else if (e.endpoint) {
    (void)weft::runtime::to_osdep(*e.endpoint).to_sockaddr(out.address);
  }
}

weft::Result<weft::NetworkId> network_id(std::uint64_t v) { return weft::NetworkId::from_u64(v); }

int invalid_network(std::uint64_t v) {
  return api::fail(EINVAL, fmt::format("{:016x} is not a network id (its first 40 bits must be "
                                       "a controller's address)",
                                       v));
}

}  // namespace

extern "C" {

weft_node* weft_node_create(const struct weft_node_config* config) {
  weft::runtime::NodeRuntimeConfig rc;
  std::optional<weft::crypto::Identity> identity;
  if (parse_config(config, rc, identity) != 0) return nullptr;
  auto runtime = NodeRuntime::create(make_state(*config), std::move(rc), std::move(identity));
  if (!runtime) {
    creation_failed(runtime.error(), *config);
    return nullptr;
  }
  auto handle = std::make_unique<weft_node>();
  handle->runtime = std::move(*runtime);
  std::lock_guard lock(g_mutex);
  g_nodes.emplace(handle.get(), handle->runtime);
  return handle.release();
}

void weft_node_free(weft_node* node) {
  std::shared_ptr<NodeRuntime> runtime;
  {
    std::lock_guard lock(g_mutex);
    const auto it = g_nodes.find(node);
    if (it == g_nodes.end()) return;
    runtime = std::move(it->second);
    g_nodes.erase(it);
  }
  runtime->stop();
  runtime->events().close();
  delete node;  // NOLINT(cppcoreguidelines-owning-memory): the handle create() released
}

int weft_node_start(weft_node* node) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  if (auto r = n->start(); !r) {
    if (r.error() == Error::invalid_state) return api::fail(EALREADY, "the node is running");
    return api::fail(weft::socket::to_errno(r.error()),
                     fmt::format("starting the node: {}", message(r.error())));
  }
  return 0;
}

int weft_node_stop(weft_node* node) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  n->stop();
  return 0;
}

uint64_t weft_node_address(const weft_node* node) {
  const auto n = lookup(node);
  return n ? n->address().value() : 0;
}

int weft_node_public_identity(const weft_node* node, char* buf, size_t len) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  if (buf == nullptr) return api::fail(EINVAL, "buf is NULL");
  const std::string text = n->identity().public_identity().to_string();
  if (text.size() + 1 > len)
    return api::fail(ERANGE, fmt::format("the public identity needs {} bytes", text.size() + 1));
  std::memcpy(buf, text.c_str(), text.size() + 1);
  return static_cast<int>(text.size());
}

int weft_node_join(weft_node* node, uint64_t network) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  const auto id = network_id(network);
  if (!id) return invalid_network(network);
  if (auto r = n->join(*id); !r) {
    switch (r.error()) {
      case Error::invalid_argument:
        return api::fail(EINVAL, "this node is the network's controller: it does not join it");
      case Error::too_large: return api::fail(E2BIG, "too many networks joined");
      default:
        return api::fail(EIO, fmt::format("saving the joined networks: {}", message(r.error())));
    }
  }
  return 0;
}

int weft_node_leave(weft_node* node, uint64_t network) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  const auto id = network_id(network);
  if (!id) return invalid_network(network);
  if (auto r = n->leave(*id); !r) {
    if (r.error() == Error::not_found) return api::fail(ENOENT, "the network is not joined");
    return api::fail(EIO, fmt::format("saving the joined networks: {}", message(r.error())));
  }
  return 0;
}

int weft_node_wait_address(weft_node* node, uint64_t network, int family,
                           struct sockaddr_storage* addr, int timeout_ms) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  if (addr == nullptr || timeout_ms < 0 || (family != AF_INET && family != AF_INET6))
    return api::fail(EINVAL, "addr NULL, timeout negative or family not AF_INET/AF_INET6");
  const auto id = network_id(network);
  if (!id) return invalid_network(network);
  auto a = n->wait_for_address(*id, family == AF_INET6, std::chrono::milliseconds(timeout_ms));
  if (a) {
    to_sockaddr(*a, *addr);
    return 0;
  }
  switch (a.error()) {
    case Error::not_authorized:
      return api::fail(EACCES, "the network's controller has not authorized this node");
    case Error::not_found: return api::fail(ENOENT, "the network's controller has no such network");
    case Error::invalid_state:
      return api::fail(EINVAL, n->running() ? "the network is not joined" : "the node is not running");
    default:
      return api::fail(ETIMEDOUT,
                       n->online() ? "no address yet: the network's controller has not answered"
                                   : "no address yet: no root has answered (are the roots "
                                     "reachable?)");
  }
}

int weft_node_addresses(weft_node* node, uint64_t network, struct sockaddr_storage* addrs,
                        int capacity) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  if (capacity < 0 || (addrs == nullptr && capacity > 0))
    return api::fail(EINVAL, "addrs NULL or capacity negative");
  const auto id = network_id(network);
  if (!id) return invalid_network(network);
  const auto list = n->addresses(*id);
  for (std::size_t i = 0; i < list.size() && i < static_cast<std::size_t>(capacity); ++i)
    to_sockaddr(list[i], addrs[i]);
  return static_cast<int>(list.size());
}

int weft_node_next_event(weft_node* node, struct weft_event* event, int timeout_ms) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  if (event == nullptr || timeout_ms < 0) return api::fail(EINVAL, "event NULL or timeout negative");
  const auto entry = n->events().pop(std::chrono::milliseconds(timeout_ms));
  if (!entry) return 0;
  to_event(*entry, *event);
  return 1;
}

int weft_node_event_fd(const weft_node* node) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  return n->events().fd();
}

int weft_node_get_stats(const weft_node* node, struct weft_node_stats* stats, size_t size) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  if (stats == nullptr) return api::fail(EINVAL, "stats is NULL");
  weft_node_stats s{};
  s.events_lost = n->events().lost_total();
  if (const auto w = n->stats()) {
    s.running = 1;
    s.online = n->online() ? 1 : 0;
    s.datagrams_received = w->io.datagrams_received;
    s.receive_batches = w->io.batches_received;
    s.receive_batches_in_app_threads = w->io.batches_pumped;
    s.handshakes_completed = w->sessions.handshakes_completed;
    s.direct_sent = w->node.direct_sent;
    s.relayed_sent = w->node.relayed_sent;
    s.dropped_malformed = w->sessions.malformed + w->node.messages_malformed +
                          w->node.relay_malformed + w->node.vl2_malformed;
    s.dropped_replayed = w->sessions.data_replayed + w->sessions.initiations_replayed;
    s.dropped_unauthenticated =
        w->sessions.data_rejected + w->sessions.mac_rejected + w->sessions.handshake_rejected;
    s.dropped_no_route = w->node.frames_dropped_no_route;
    s.dropped_waiting = w->node.frames_dropped_waiting;
    s.dropped_by_network = w->node.network_frames_dropped;
    s.dropped_send = w->send_dropped;
    s.bytes_received = w->node.bytes_received;
    s.datagrams_sent = w->node.datagrams_sent;
    s.bytes_sent = w->node.bytes_sent;
    s.dropped_expired = w->sessions.data_expired;
    s.dropped_reassembly = w->reassembly.timed_out + w->reassembly.evicted;
    s.peers = n->peer_stats().size();
  }
  std::memcpy(stats, &s, std::min(size, sizeof s));
  return 0;
}

int weft_node_peers(const weft_node* node, struct weft_peer_stats* peers, int capacity,
                    size_t size) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  if (capacity < 0 || (peers == nullptr && capacity > 0) || size == 0)
    return api::fail(EINVAL, "peers NULL, capacity negative or size 0");
  const auto list = n->peer_stats();
  const weft::Instant now = weft::SteadyClock().now();
  auto* out = reinterpret_cast<unsigned char*>(peers);  // NOLINT: entries `size` bytes apart
  for (std::size_t i = 0; i < list.size() && i < static_cast<std::size_t>(capacity); ++i) {
    const auto& p = list[i];
    weft_peer_stats e{};
    e.node = p.peer.value();
    e.is_root = p.root ? 1 : 0;
    using K = weft::node::Route::Kind;
    e.path = p.route.kind == K::direct ? WEFT_PATH_DIRECT
             : p.route.kind == K::relay ? WEFT_PATH_RELAYED
                                        : WEFT_PATH_NONE;
    if (p.route.endpoint) (void)weft::runtime::to_osdep(*p.route.endpoint).to_sockaddr(e.endpoint);
    e.latency_us = p.latency ? std::chrono::duration_cast<std::chrono::microseconds>(*p.latency).count() : -1;
    e.session = p.session ? 1 : 0;
    e.idle_ms = p.last_received
                    ? std::chrono::duration_cast<std::chrono::milliseconds>(now - *p.last_received).count()
                    : -1;
    e.datagrams_sent = p.traffic.datagrams_sent;
    e.bytes_sent = p.traffic.bytes_sent;
    e.datagrams_received = p.traffic.datagrams_received;
    e.bytes_received = p.traffic.bytes_received;
    e.frames_sent = p.traffic.frames_sent;
    e.frame_bytes_sent = p.traffic.frame_bytes_sent;
    e.frames_received = p.traffic.frames_received;
    e.frame_bytes_received = p.traffic.frame_bytes_received;
    std::memcpy(out + i * size, &e, std::min(size, sizeof e));
  }
  return static_cast<int>(list.size());
}

int weft_node_set_faults(weft_node* node, const struct weft_fault_config* faults) {
  const auto n = lookup(node);
  if (!n) return bad_handle();
  std::optional<weft::tap::FaultConfig> config;
  if (faults != nullptr) {
    for (const double rate : {faults->loss, faults->duplicate, faults->reorder, faults->corrupt}) {
      if (!(rate >= 0.0 && rate <= 1.0)) return api::fail(EINVAL, "a fault rate outside 0..1");
    }
    weft::tap::FaultConfig c;
    c.seed = faults->seed;
    c.loss = faults->loss;
    c.duplicate = faults->duplicate;
    c.reorder = faults->reorder;
    c.corrupt = faults->corrupt;
    c.delay = std::chrono::microseconds(faults->delay_us);
    c.jitter = std::chrono::microseconds(faults->jitter_us);
    config = c;
  }
  if (auto r = n->set_faults(config); !r) return api::fail(EINVAL, "the node is running: stop it first");
  return 0;
}

}  // extern "C"
