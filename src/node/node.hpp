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
// No I/O: output goes through NodeHost.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/instant.hpp"
#include "base/node_id.hpp"
#include "crypto/identity.hpp"
#include "crypto/rng.hpp"
#include "node/node_host.hpp"
#include "peer/path_set.hpp"
#include "peer/session_table.hpp"
#include "wire/endpoint.hpp"
#include "wire/peer_record.hpp"

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
  std::vector<RootState> roots_;
  std::unordered_map<NodeId, PeerInfo> peers_;
  std::map<std::uint32_t, NodeId> lookups_;
  std::uint32_t next_request_{1};
  std::uint64_t next_probe_id_{1};
  std::uint64_t last_registration_ts_{0};
  NodeStats stats_;
};

}  // namespace weft::node
