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
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/fifo.hpp"
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
  // Every datagram handed to process_datagram / to NodeHost::send_datagram,
  // and their sizes (UDP payload bytes: no IP or UDP header).
  std::uint64_t datagrams_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t bytes_sent = 0;
  // Drops. Those of the session layer (replays, forgeries, unknown indexes,
  // full handshake queues...) are counted by reason in peer::SessionStats.
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

// Traffic with one peer, counted as it passes (one increment per datagram and
// direction, on the peer record the data path already holds).
//  - datagrams/bytes: the UDP payloads on the wire that carry this peer's
//    session: handshakes, data (frames, probes, keepalives, fragments) and,
//    when relayed, the relay header too. Received: only what the session layer
//    accepted as the peer's (a forged, replayed or malformed datagram counts in
//    NodeStats / SessionStats, never here). Sent: each copy handed to the host
//    (a handshake punched at several candidates counts once per candidate).
//  - frames/frame_bytes: VL1 frames and their payload (what send_frame takes
//    and NodeHost::deliver_frame hands out, VL2 messages and network frames
//    with their network header included; not the VL1 frame header). Sent:
//    accepted by the session layer (sealed, or queued for a handshake that may
//    yet fail: SessionStats::queue_dropped); frames waiting for a lookup count
//    when it succeeds. Received: whole frames after reassembly.
struct TrafficCounters {
  std::uint64_t datagrams_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t datagrams_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t frame_bytes_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t frame_bytes_received = 0;
  bool operator==(const TrafficCounters&) const = default;
};

// One peer as Node::peer_stats() sees it.
struct PeerStats {
  explicit PeerStats(NodeId id) : peer(id) {}
  NodeId peer;
  bool root{false};  // a configured root (its traffic: registrations, lookups; relayed
                     // datagrams count for the peer at the other end, not for the root)
  // The path traffic takes now (what route() says; a root: its endpoint).
  Route route;
  // Round trip of the direct path in use, measured by probes: smoothed (gain
  // 1/8) and the last sample. Nullopt when relayed or not measured yet. A root:
  // the same of its registrations' round trips (those sent on an established
  // session; one queued behind a handshake is not a sample).
  std::optional<Duration> latency;
  std::optional<Duration> last_latency;
  bool session{false};     // a session is established (handshake completed)
  bool looking_up{false};  // a lookup at the roots is running
  std::size_t paths{0};    // direct paths known (live or candidates)
  TrafficCounters traffic;
  // The last datagram the session layer accepted from the peer.
  std::optional<Instant> last_received;
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
  // Asks the network's controller for the member called `name` (one DNS
  // label); its answer, with `query` echoed, goes to NodeHost::on_name_answer.
  // Error::not_found (not joined), Error::invalid_state (no config yet, or
  // refused), Error::invalid_argument (not a label).
  Result<void> query_name(Instant now, NetworkId network, std::uint32_t query,
                          std::string_view name);
  // Null if not joined.
  [[nodiscard]] const vnet::NetworkSwitch* network(NetworkId network) const;
  // The largest Ethernet frame a network carries to a peer in one datagram;
  // longer ones are fragmented (docs/vnet.md §3.5). Fixed by the config.
  [[nodiscard]] std::size_t largest_unfragmented_network_frame() const noexcept;

  [[nodiscard]] Route route(Instant now, NodeId peer) const;
  // Every root and every peer heard of (looked up, or met), roots first. A
  // snapshot: allocates; not for the data path.
  [[nodiscard]] std::vector<PeerStats> peer_stats(Instant now) const;
  [[nodiscard]] bool registered(Instant now, std::size_t root_index) const;
  [[nodiscard]] const NodeStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const peer::SessionStats& session_stats() const noexcept {
    return sessions_.stats();
  }
  // Fragments: reassemblies that timed out or were evicted (memory bound) lost their message.
  [[nodiscard]] const peer::ReassemblerStats& reassembly_stats() const noexcept {
    return sessions_.reassembly_stats();
  }
  [[nodiscard]] NodeId address() const noexcept { return self_.address(); }

 private:
  struct RootState {
    explicit RootState(RootEntry e) : entry(std::move(e)) {}
    RootEntry entry;
    std::optional<Instant> last_ack;
    Instant last_register{Instant::from_nanos(INT64_MIN / 2)};
    bool announced{false};
    // The last registration, if it went out sealed on an established session
    // (one queued behind a handshake would measure the handshake too): its ack
    // gives the root's round trip.
    std::optional<std::uint64_t> timed_registration;
    std::optional<Duration> rtt;  // smoothed like a path's
    std::optional<Duration> last_rtt;
    TrafficCounters traffic;
    std::optional<Instant> last_received;
  };
  struct PeerInfo {
    explicit PeerInfo(const peer::PathConfig& c) : paths(c) {}
    peer::PathSet paths;
    bool known{false};  // in the session table
    Fifo<Bytes> waiting;
    std::optional<Instant> lookup_started;
    Instant last_lookup{Instant::from_nanos(INT64_MIN / 2)};
    Route::Kind reported{Route::Kind::none};
    std::optional<wire::Endpoint> reported_endpoint;
    TrafficCounters traffic;
    std::optional<Instant> last_received;
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
  void send_probe(Instant now, NodeId peer, PeerInfo& p, const wire::Endpoint& to,
                  std::uint64_t id);
  void handle_peer_message(Instant now, NodeId peer, PeerInfo& p, ByteSpan m,
                           const wire::Endpoint& from, std::optional<NodeId> relayed_by);
  void send_inner(Instant now, NodeId peer, ByteSpan inner);
  // A frame (inner message) to a known peer, counted once the session layer takes it.
  void send_frame_inner(Instant now, NodeId peer, PeerInfo& p, ByteSpan inner);
  // Sends an inner frame, or queues it while the peer is looked up.
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
  // names the node it was relayed from, so the answer is relayed back;
  // `reply_counters` are those of the peer the answers are for, if known.
  void route_out(Instant now, std::vector<peer::Outgoing>& out,
                 const std::optional<wire::Endpoint>& reply_to, std::optional<NodeId> relayed_from,
                 TrafficCounters* reply_counters = nullptr);
  void send_to_peer(Instant now, NodeId peer, ByteSpan datagram,
                    SendOrder order = SendOrder::in_turn);
  void send_relayed(Instant now, NodeId peer, ByteSpan datagram, TrafficCounters* counters,
                    std::optional<wire::Endpoint> via = std::nullopt,
                    SendOrder order = SendOrder::in_turn);
  // Every datagram leaves through here: counted in total and, when it carries
  // a peer's session, for that peer.
  void emit(const wire::Endpoint& to, ByteSpan datagram, TrafficCounters* counters,
            SendOrder order = SendOrder::in_turn);
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
