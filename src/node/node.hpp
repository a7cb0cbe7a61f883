#pragma once

// A node's VL1: sessions, paths, and the root client. docs/protocol.md §6.8.
//
//  - Registers with every configured root (signed record with its local
//    endpoints) and renews the registration; a root that stops acknowledging is
//    considered down until it answers again.
//  - A frame for an unknown peer waits (bounded) while every live root is
//    asked; the reply's keys are checked against the address before use.
//  - On a lookup reply or a rendezvous it punches: probes (or, without a
//    session yet, handshake initiations) go to every candidate endpoint at once.
//  - Traffic uses the best live direct path (peer::PathSet); with none it is
//    wrapped in a relay header and sent to a live root. The switch is invisible
//    to the sender of frames.
//
// VL2 (docs/vnet.md §6): join(network) asks the network's controller (its
// address is in the network id) for a config, retries, refreshes it at a third
// of the credential's max_delta, and accepts configs, refusals and the member
// list only from that controller. Each network has a vnet::NetworkSwitch that
// checks peers' credentials and frames; credentials are presented to peers
// before the first frame. VL1 frames whose payload starts with a VL2 type
// (0x20..0x2f) are VL2's; others still go to NodeHost::deliver_frame.
// A node may host a controller (NodeConfig::controller).
// No I/O: output goes through NodeHost.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/instant.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "crypto/identity.hpp"
#include "crypto/rng.hpp"
#include "node/controller_hook.hpp"
#include "node/node_host.hpp"
#include "peer/path_set.hpp"
#include "peer/session_table.hpp"
#include "vnet/network_switch.hpp"
#include "wire/endpoint.hpp"
#include "wire/peer_record.hpp"
#include "wire/vl2_messages.hpp"

namespace weft::node {

struct RootEntry {
  crypto::PublicIdentity identity;
  std::vector<wire::Endpoint> endpoints;  // the first is used
};

struct NodeConfig {
  std::vector<RootEntry> roots;
  // Reported to roots as the node's local (LAN) endpoints.
  std::vector<wire::Endpoint> local_endpoints;
  peer::SessionTableConfig sessions;
  peer::PathConfig paths;
  Duration register_interval = 20s;
  Duration register_retry = 1s;  // until the first acknowledgement
  Duration root_timeout = 45s;   // no acknowledgement for this long: root down
  Duration lookup_retry = 1s;
  Duration lookup_timeout = 5s;
  // While a peer is reached only through a relay, ask again this often (the
  // root then sends the peer a rendezvous and both punch again).
  Duration relay_rendezvous_interval = 10s;
  std::size_t max_waiting_frames = 64;  // per peer, while its lookup runs
  std::size_t max_lookups = 256;
  // Checks the keys in lookup replies and rendezvous; not owned, may be null.
  peer::IdentityVerifier* verifier = nullptr;

  // ---- VL2
  // The controller this node hosts, if any; not owned. Gets config requests
  // and member gathers; its pushes are sent from tick(). Its wall clock (ms
  // since the Unix epoch, for credentials) is sessions.timestamp_offset_ns plus
  // `now`: the host sets that offset once, as it does for handshake timestamps.
  ControllerHook* controller = nullptr;
  std::size_t max_networks = 64;
  vnet::SwitchLimits network_limits;
  Duration config_retry = 2s;   // a config request without an answer
  Duration denied_retry = 30s;  // refused or not found: ask again (an authorize is pushed at once
                                // to members that asked within the controller's online window)
};

struct NodeStats {
  std::uint64_t datagrams_dropped = 0;  // refused by the session layer (its stats say why)
  std::uint64_t relay_malformed = 0;
  std::uint64_t root_messages_from_non_roots = 0;
  std::uint64_t messages_malformed = 0;
  std::uint64_t messages_ignored = 0;
  std::uint64_t records_rejected = 0;  // keys in a reply/rendezvous fail the address check
  std::uint64_t frames_dropped_no_route = 0;
  std::uint64_t frames_dropped_waiting = 0;  // lookup queue full or lookup failed
  std::uint64_t lookups_sent = 0;
  std::uint64_t lookups_failed = 0;
  std::uint64_t rendezvous_received = 0;
  std::uint64_t relayed_sent = 0;
  std::uint64_t direct_sent = 0;
  std::uint64_t probes_sent = 0;
  // VL2 (per-network detail: network_stats())
  std::uint64_t vl2_malformed = 0;
  std::uint64_t vl2_ignored = 0;  // for a network not joined, or not from its controller
  std::uint64_t configs_requested = 0;
  std::uint64_t network_frames_dropped = 0;  // refused by a network's switch
};

struct Route {
  enum class Kind : std::uint8_t { none, direct, relay };
  Kind kind{Kind::none};
  std::optional<wire::Endpoint> endpoint;  // direct: the path; relay: the root
};

class Node {
 public:
  Node(const crypto::Identity& self, crypto::Rng& rng, NodeHost& host, NodeConfig config);

  void process_datagram(Instant now, const wire::Endpoint& from, ByteSpan datagram);
  // A VL2 message (for now, any payload of 1 byte or more) for a peer.
  Result<void> send_frame(Instant now, NodeId peer, ByteSpan frame);
  Instant tick(Instant now);

  // ---- VL2
  // Error::too_large (max_networks), Error::invalid_argument (our own network:
  // a controller does not ask itself). Joining again is a no-op.
  Result<void> join(Instant now, NetworkId network);
  // Error::not_found if not joined. Addresses are reported removed.
  Result<void> leave(Instant now, NetworkId network);
  // An Ethernet frame from the application: Error::not_found (not joined), or
  // NetworkSwitch::outbound's errors (not ready, not our MAC, no such member...).
  Result<void> send_network_frame(Instant now, NetworkId network, ByteSpan frame);
  // Null if not joined.
  [[nodiscard]] const vnet::NetworkSwitch* network(NetworkId network) const;

  [[nodiscard]] Route route(Instant now, NodeId peer) const;
  [[nodiscard]] bool registered(Instant now, std::size_t root_index) const;
  [[nodiscard]] const NodeStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const peer::SessionStats& session_stats() const noexcept {
    return sessions_.stats();
  }
  [[nodiscard]] NodeId address() const noexcept { return self_.address(); }

 private:
  struct RootState {
    RootEntry entry;
    std::optional<Instant> last_ack;
    Instant last_register{Instant::from_nanos(INT64_MIN / 2)};
    bool announced{false};
  };
  struct PeerInfo {
    explicit PeerInfo(const peer::PathConfig& c) : paths(c) {}
    peer::PathSet paths;
    bool known{false};  // in the session table
    std::deque<Bytes> waiting;
    std::optional<Instant> lookup_started;
    Instant last_lookup{Instant::from_nanos(INT64_MIN / 2)};
    Route::Kind reported{Route::Kind::none};
    std::optional<wire::Endpoint> reported_endpoint;
  };

  [[nodiscard]] std::optional<std::size_t> root_index(NodeId id) const;
  [[nodiscard]] bool root_alive(Instant now, const RootState& r) const;
  [[nodiscard]] std::optional<std::size_t> relay_root(Instant now) const;
  PeerInfo& info(NodeId peer);

  void register_with(Instant now, std::size_t i);
  void start_lookup(Instant now, NodeId peer);
  void handle_root_message(Instant now, std::size_t root, ByteSpan m);
  void learn(Instant now, const wire::PeerRecord& record, bool punch);
  void punch(Instant now, NodeId peer);
  void send_probe(Instant now, NodeId peer, const wire::Endpoint& to, std::uint64_t id);
  void handle_peer_message(Instant now, NodeId peer, ByteSpan m, const wire::Endpoint& from,
                           std::optional<NodeId> relayed_by);
  void send_inner(Instant now, NodeId peer, ByteSpan inner);
  // Sends an inner message, or queues it while the peer is looked up.
  Result<void> send_or_wait(Instant now, NodeId peer, Bytes inner);

  struct NetworkState {
    NetworkState(NetworkId id, const crypto::PublicIdentity& self, vnet::SwitchLimits limits)
        : sw(id, self, limits) {}
    enum class Status : std::uint8_t { requesting, ready, denied, not_found };
    vnet::NetworkSwitch sw;
    Status status{Status::requesting};
    Instant next_request{};
  };
  [[nodiscard]] std::uint64_t wall_ms(Instant now) const;
  void handle_vl2(Instant now, NodeId peer, ByteSpan m);
  void handle_for_controller(Instant now, NodeId peer, ByteSpan m);
  void handle_from_controller(Instant now, NodeId peer, NetworkState& net, ByteSpan m,
                              wire::Vl2InnerType type);
  NetworkState* joined_from(NodeId peer, NetworkId id);
  void request_config(Instant now, NetworkState& net);
  void send_vl2(Instant now, NodeId peer, ByteSpan message);
  void present(Instant now, NetworkState& net, NodeId peer, bool want_reply);
  void send_on_network(Instant now, NetworkState& net, NodeId peer, ByteSpan frame);
  void network_event(NodeEvent::Kind kind, NetworkId id,
                     std::optional<vnet::Address> address = std::nullopt);
  void send_pushes(Instant now);

  // Sends what the session table produced. `reply_to` is where the datagram
  // being processed came from (for answers without a peer); `relayed_from`
  // names the node it was relayed from, so the answer is relayed back.
  void route_out(Instant now, std::vector<peer::Outgoing>& out,
                 const std::optional<wire::Endpoint>& reply_to, std::optional<NodeId> relayed_from);
  void send_to_peer(Instant now, NodeId peer, ByteSpan datagram);
  void send_relayed(Instant now, NodeId peer, ByteSpan datagram,
                    std::optional<wire::Endpoint> via = std::nullopt);
  void report_route(Instant now, NodeId peer, PeerInfo& p);

  const crypto::Identity& self_;
  crypto::Rng& rng_;
  NodeHost& host_;
  NodeConfig config_;
  peer::SessionTable sessions_;
  // Kept between calls so the data path does not allocate them per frame:
  // the datagrams of one send or receive (empty between calls; route_out
  // never leads back into a send), and a frame's inner message.
  std::vector<peer::Outgoing> out_;
  Bytes inner_;
  std::vector<RootState> roots_;
  std::unordered_map<NodeId, PeerInfo> peers_;
  std::map<std::uint32_t, NodeId> lookups_;
  std::map<NetworkId, NetworkState> networks_;
  std::uint32_t next_request_{1};
  std::uint64_t next_probe_id_{1};
  std::uint64_t last_registration_ts_{0};
  NodeStats stats_;
};

}  // namespace weft::node
