#pragma once

// A root: nodes register with it over an ordinary VL1 session (signed records,
// so nobody can register another node's address), look each other up, are
// told to punch at once (rendezvous), and have packets relayed when no direct
// path works. The root cannot read what it relays. No I/O: datagrams in, the
// datagrams to send out, poll() gives the next deadline. docs/protocol.md §6-§7.

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/instant.hpp"
#include "base/node_id.hpp"
#include "crypto/identity.hpp"
#include "crypto/rng.hpp"
#include "peer/session_table.hpp"
#include "wire/endpoint.hpp"
#include "wire/peer_record.hpp"

namespace weft::root {

struct RootServerConfig {
  // A root has a session with every registered node: room for as many.
  peer::SessionTableConfig sessions = [] {
    peer::SessionTableConfig c;
    c.max_peers = 100000;
    return c;
  }();
  // A registration not renewed for this long is forgotten (nodes renew every 20 s).
  Duration registration_lifetime = 90s;
  std::size_t max_registrations = 100000;
  // Relay budget per registered source: a token bucket.
  std::uint32_t relay_packets_per_second = 4000;
  std::uint32_t relay_burst = 8000;
};

struct RootServerStats {
  std::uint64_t registrations_accepted = 0;
  std::uint64_t registrations_rejected =
      0;  // bad signature, keys not the session's, address mismatch
  std::uint64_t registrations_replayed = 0;  // timestamp not newer than the last accepted
  std::uint64_t registrations_full = 0;
  std::uint64_t registrations_expired = 0;
  std::uint64_t lookups = 0;
  std::uint64_t lookups_not_found = 0;
  std::uint64_t rendezvous_sent = 0;
  std::uint64_t relayed = 0;
  std::uint64_t relay_malformed = 0;
  std::uint64_t relay_unregistered_source = 0;  // or not at the endpoint it registered from
  std::uint64_t relay_unregistered_destination = 0;
  std::uint64_t relay_rate_limited = 0;
  std::uint64_t messages_ignored = 0;  // inner messages a root does not take (frames, ...)
  std::uint64_t messages_malformed = 0;
  std::uint64_t datagrams_dropped = 0;  // refused by the session layer (its stats say why)
};

struct RootOutput {
  wire::Endpoint to;
  Bytes datagram;
};

class RootServer {
 public:
  RootServer(const crypto::Identity& self, crypto::Rng& rng, RootServerConfig config = {});

  void process_datagram(Instant now, const wire::Endpoint& from, ByteSpan datagram,
                        std::vector<RootOutput>& out);
  // Session timers and registration expiry; returns the next deadline.
  Instant poll(Instant now, std::vector<RootOutput>& out);

  [[nodiscard]] const RootServerStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const peer::SessionStats& session_stats() const noexcept {
    return sessions_.stats();
  }
  // The record a lookup would return (observed endpoint first), if registered.
  [[nodiscard]] std::optional<wire::PeerRecord> lookup(Instant now, NodeId address) const;

 private:
  struct Registered {
    wire::PeerRecord record;  // endpoints: the node's reported local ones
    wire::Endpoint observed;
    std::uint64_t timestamp{0};
    Instant expires;
    double tokens{0};
    Instant refilled;
  };

  void handle_message(Instant now, const wire::Endpoint& from, NodeId peer, ByteSpan message,
                      std::vector<RootOutput>& out);
  void handle_registration(Instant now, const wire::Endpoint& from, NodeId peer, ByteSpan m,
                           std::vector<RootOutput>& out);
  void handle_lookup(Instant now, NodeId peer, ByteSpan m, std::vector<RootOutput>& out);
  void relay(Instant now, const wire::Endpoint& from, ByteSpan datagram,
             std::vector<RootOutput>& out);
  void send_to(Instant now, NodeId peer, ByteSpan inner, std::vector<RootOutput>& out);
  void route(const wire::Endpoint& reply_to, std::vector<peer::Outgoing>& sealed,
             std::vector<RootOutput>& out);
  [[nodiscard]] const Registered* live(Instant now, NodeId address) const;

  const crypto::Identity& self_;
  RootServerConfig config_;
  peer::SessionTable sessions_;
  std::unordered_map<NodeId, Registered> registry_;
  // Where each peer's last authenticated datagram came from: where its session's
  // datagrams go.
  std::unordered_map<NodeId, wire::Endpoint> last_endpoint_;
  RootServerStats stats_;
};

}  // namespace weft::root
