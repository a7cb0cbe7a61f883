#include "service/node_control.hpp"

#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "base/log.hpp"
#include "osdep/linux_tap.hpp"
#include "runtime/wire_endpoint.hpp"

namespace weft::service {

namespace {

using nlohmann::json;

json failure(Error e, std::string_view what) {
  return {{"ok", false}, {"error", what}, {"errno", name(e)}};
}

std::string address_text(const vnet::Address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(a.ipv6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(a.prefix);
}

std::string_view status_name(runtime::NodeRuntime::NetworkStatus s) {
  using S = runtime::NodeRuntime::NetworkStatus;
  switch (s) {
    case S::requesting: return "requesting";
    case S::ready: return "ready";
    case S::denied: return "denied";
    case S::not_found: return "not_found";
  }
  return "?";
}

json milliseconds(std::optional<Duration> d) {
  if (!d) return nullptr;
  return std::chrono::duration<double, std::milli>(*d).count();
}

json capture_end(const runtime::NetworkCapture& c, std::string_view reason) {
  const auto s = c.stats();
  return {{"ok", true},          {"event", "capture_end"}, {"reason", reason},
          {"network", c.network().to_string()}, {"frames", s.frames},
          {"bytes", s.bytes},    {"dropped", s.dropped}};
}

}  // namespace

NodeControl::NodeControl(runtime::NodeRuntime& runtime,
                         std::map<NetworkId, std::string> tap_networks)
    : runtime_(runtime),
      tap_networks_(std::move(tap_networks)),
      started_(std::chrono::steady_clock::now()),
      capture_ended_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

NodeControl::~NodeControl() = default;  // each capture stops (and joins) as it goes

std::vector<int> NodeControl::watched_fds() const {
  std::vector<int> fds{runtime_.events().fd()};
  if (capture_ended_) fds.push_back(capture_ended_.get());
  return fds;
}

std::vector<ControlHandler::Push> NodeControl::on_watched_fd(int fd) {
  if (fd != capture_ended_.get()) {
    log_events();
    return {};
  }
  std::uint64_t n = 0;
  (void)!::read(capture_ended_.get(), &n, sizeof n);
  std::vector<Push> out;
  for (auto it = captures_.begin(); it != captures_.end();) {
    if (!it->second->ended()) {
      ++it;
      continue;
    }
    it->second->stop();
    const bool failed = it->second->stats().write_failed;
    json line = capture_end(*it->second, failed ? "write_failed" : "count");
    log::info("control", "capture of network {} ended: {} frames, {} dropped{}",
              it->second->network().to_string(), line["frames"].get<std::uint64_t>(),
              line["dropped"].get<std::uint64_t>(), failed ? " (write failed)" : "");
    out.push_back({it->first, std::move(line)});
    it = captures_.erase(it);
  }
  return out;
}

void NodeControl::on_closed(ConnectionId id) {
  const auto it = captures_.find(id);
  if (it == captures_.end()) return;
  it->second->stop();
  log::info("control", "capture of network {} ended with its client: {} frames, {} dropped",
            it->second->network().to_string(), it->second->stats().frames,
            it->second->stats().dropped);
  captures_.erase(it);
}

json NodeControl::capture(const ControlRequest& request, ConnectionId from) {
  const NetworkId network = *request.network;
  if (captures_.contains(from))
    return failure(Error::busy, "this connection is capturing already; send capture_stop first");
  if (!capture_ended_) return failure(Error::io, "no eventfd for captures");
  runtime::CaptureOptions options;
  options.count = request.count;
  auto c = runtime_.capture(network, request.path, options, [fd = capture_ended_.get()] {
    const std::uint64_t one = 1;
    (void)!::write(fd, &one, sizeof one);
  });
  if (!c) {
    const Error e = c.error();
    if (e == Error::not_found && !runtime_.joined(network))
      return failure(e, "not a member of network " + network.to_string() + ": weft join " +
                            network.to_string() + " first");
    if (e == Error::too_large) return failure(e, "too many captures running at once");
    return failure(e, "cannot create " + request.path + ": " + std::string(message(e)));
  }
  log::info("control", "capturing network {} into {}", network.to_string(), request.path);
  captures_.emplace(from, std::move(*c));
  return {{"ok", true}, {"network", network.to_string()}, {"path", request.path},
          {"count", request.count}};
}

json NodeControl::capture_stop(ConnectionId from) {
  const auto it = captures_.find(from);
  if (it == captures_.end()) return failure(Error::not_found, "no capture on this connection");
  it->second->stop();
  json line = capture_end(*it->second, it->second->stats().write_failed ? "write_failed" : "stopped");
  log::info("control", "capture of network {} stopped: {} frames, {} dropped",
            it->second->network().to_string(), line["frames"].get<std::uint64_t>(),
            line["dropped"].get<std::uint64_t>());
  captures_.erase(it);
  return line;
}

json NodeControl::handle(const ControlRequest& request, ConnectionId from) {
  using Command = ControlRequest::Command;
  switch (request.command) {
    case Command::status: return status();
    case Command::peers: return peers();
    case Command::networks: return networks();
    case Command::stats: return stats();
    case Command::join: return join(*request.network, request.tap);
    case Command::leave: return leave(*request.network);
    case Command::capture: return capture(request, from);
    case Command::capture_stop: return capture_stop(from);
  }
  return failure(Error::unsupported, "unknown command");
}

void NodeControl::log_events() {
  using Kind = node::NodeEvent::Kind;
  while (auto entry = runtime_.events().pop(Duration{0})) {
    if (!entry->event) {
      log::warn("node", "{} events lost (the log has a gap)", entry->lost);
      continue;
    }
    const node::NodeEvent& e = *entry->event;
    std::string what{node::name(e.kind)};
    what += " peer=" + e.peer.to_string();
    if (e.network) what += " network=" + e.network->to_string();
    if (e.address) what += " address=" + address_text(*e.address);
    if (e.endpoint) what += " endpoint=" + runtime::to_osdep(*e.endpoint).to_string();
    const bool bad = e.kind == Kind::root_lost || e.kind == Kind::peer_unreachable ||
                     e.kind == Kind::network_denied || e.kind == Kind::network_not_found;
    log::emit(bad ? log::Level::warn : log::Level::info, "node", "{}", what);
  }
}

json NodeControl::status() const {
  const auto local = runtime_.local();
  const auto up = std::chrono::steady_clock::now() - started_;
  return {
      {"ok", true},
      {"address", runtime_.address().to_string()},
      {"identity", runtime_.identity().public_identity().to_string()},
      {"running", runtime_.running()},
      {"online", runtime_.online()},
      {"endpoint", local ? json(local->to_string()) : json(nullptr)},
      {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(up).count()},
      {"networks", runtime_.networks().size()},
      {"pid", ::getpid()},
  };
}

json NodeControl::peers() const {
  json list = json::array();
  for (const auto& p : runtime_.peer_stats()) {
    std::string_view path = "none";
    if (p.route.kind == node::Route::Kind::direct) path = "direct";
    if (p.route.kind == node::Route::Kind::relay) path = "relayed";
    list.push_back({
        {"address", p.peer.to_string()},
        {"role", p.root ? "root" : "peer"},
        {"path", path},
        {"endpoint",
         p.route.endpoint ? json(runtime::to_osdep(*p.route.endpoint).to_string()) : json(nullptr)},
        {"latency_ms", milliseconds(p.latency)},
        {"session", p.session},
        {"bytes_in", p.traffic.bytes_received},
        {"bytes_out", p.traffic.bytes_sent},
        {"packets_in", p.traffic.datagrams_received},
        {"packets_out", p.traffic.datagrams_sent},
    });
  }
  return {{"ok", true}, {"peers", std::move(list)}};
}

json NodeControl::networks() const {
  json list = json::array();
  for (const NetworkId n : runtime_.networks()) {
    json addresses = json::array();
    for (const auto& a : runtime_.addresses(n)) addresses.push_back(address_text(a));
    const auto device = runtime_.kernel_device(n);
    list.push_back({{"id", n.to_string()},
                    {"state", status_name(runtime_.network_status(n))},
                    {"addresses", std::move(addresses)},
                    {"tap", device ? json(*device) : json(nullptr)}});
  }
  return {{"ok", true}, {"networks", std::move(list)}};
}

json NodeControl::stats() const {
  const auto s = runtime_.stats();
  if (!s) return failure(Error::invalid_state, "the node is not running");
  const auto& n = s->node;
  const auto& ss = s->sessions;
  return {
      {"ok", true},
      {"node",
       {{"datagrams_received", n.datagrams_received},
        {"bytes_received", n.bytes_received},
        {"datagrams_sent", n.datagrams_sent},
        {"bytes_sent", n.bytes_sent},
        {"datagrams_dropped", n.datagrams_dropped},
        {"relay_malformed", n.relay_malformed},
        {"root_messages_from_non_roots", n.root_messages_from_non_roots},
        {"messages_malformed", n.messages_malformed},
        {"messages_ignored", n.messages_ignored},
        {"records_rejected", n.records_rejected},
        {"frames_dropped_no_route", n.frames_dropped_no_route},
        {"frames_dropped_waiting", n.frames_dropped_waiting},
        {"lookups_sent", n.lookups_sent},
        {"lookups_failed", n.lookups_failed},
        {"rendezvous_received", n.rendezvous_received},
        {"relayed_sent", n.relayed_sent},
        {"direct_sent", n.direct_sent},
        {"probes_sent", n.probes_sent},
        {"vl2_malformed", n.vl2_malformed},
        {"vl2_ignored", n.vl2_ignored},
        {"configs_requested", n.configs_requested},
        {"network_frames_dropped", n.network_frames_dropped}}},
      {"sessions",
       {{"initiations_received", ss.initiations_received},
        {"responses_received", ss.responses_received},
        {"cookie_replies_sent", ss.cookie_replies_sent},
        {"cookie_replies_received", ss.cookie_replies_received},
        {"handshakes_completed", ss.handshakes_completed},
        {"mac_rejected", ss.mac_rejected},
        {"handshake_rejected", ss.handshake_rejected},
        {"initiations_replayed", ss.initiations_replayed},
        {"initiations_crossed", ss.initiations_crossed},
        {"peers_rejected", ss.peers_rejected},
        {"address_checks", ss.address_checks},
        {"data_received", ss.data_received},
        {"data_replayed", ss.data_replayed},
        {"data_rejected", ss.data_rejected},
        {"data_expired", ss.data_expired},
        {"unknown_index", ss.unknown_index},
        {"malformed", ss.malformed},
        {"queue_dropped", ss.queue_dropped},
        {"fragments_rejected", ss.fragments_rejected}}},
      {"reassembly",
       {{"completed", s->reassembly.completed},
        {"duplicates", s->reassembly.duplicates},
        {"inconsistent", s->reassembly.inconsistent},
        {"timed_out", s->reassembly.timed_out},
        {"evicted", s->reassembly.evicted}}},
      {"io",
       {{"datagrams_received", s->io.datagrams_received},
        {"batches_received", s->io.batches_received},
        {"oversized_dropped", s->io.oversized_dropped},
        {"receive_errors", s->io.receive_errors},
        {"wakeups", s->io.wakeups},
        {"batches_pumped", s->io.batches_pumped},
        {"send_dropped", s->send_dropped},
        {"unanswerable_dropped", s->unanswerable_dropped}}},
  };
}

json NodeControl::join(NetworkId network, std::optional<std::string> tap) {
  if (!tap) {
    if (const auto it = tap_networks_.find(network); it != tap_networks_.end()) tap = it->second;
  }
  runtime::JoinOptions options;
  options.kernel_tap = tap;
  if (auto r = runtime_.join(network, options); !r) {
    const Error e = r.error();
    if (e == Error::invalid_argument && tap && !osdep::LinuxTap::valid_name(*tap))
      return failure(e, "not a TAP device name: " + *tap);
    if (e == Error::invalid_argument)
      return failure(e, "this node is the network's controller; it cannot join it");
    if (e == Error::too_large) return failure(e, "too many networks joined");
    if (e == Error::already_connected)
      return failure(e, "network " + network.to_string() +
                            " is joined already in another mode; leave it first");
    if (tap) {
      if (e == Error::already_exists)
        return failure(e, "a network device named " + *tap + " exists already");
      if (e == Error::permission_denied)
        return failure(e, "no permission to create TAP device " + *tap +
                              " (weftd needs root or CAP_NET_ADMIN for --tap)");
      if (e == Error::not_found)
        return failure(e, "/dev/net/tun is missing (no tun driver): cannot create TAP device " +
                              *tap);
      return failure(e, "cannot create TAP device " + *tap + ": " + std::string(message(e)));
    }
    return failure(e, message(e));
  }
  const auto device = runtime_.kernel_device(network);
  log::info("control", "joined network {}{}", network.to_string(),
            device ? " on kernel TAP device " + *device : std::string());
  json reply = {{"ok", true}, {"network", network.to_string()}};
  if (device) reply["tap"] = *device;
  return reply;
}

json NodeControl::leave(NetworkId network) {
  if (auto r = runtime_.leave(network); !r) {
    const Error e = r.error();
    if (e == Error::not_found) return failure(e, "not a member of network " + network.to_string());
    return failure(e, message(e));
  }
  log::info("control", "left network {}", network.to_string());
  return {{"ok", true}, {"network", network.to_string()}};
}

}  // namespace weft::service
