#pragma once

// The direct paths to one peer: candidate UDP endpoints (from a root's lookup
// reply or rendezvous, or from authenticated traffic), probed to learn which
// are alive and how fast. The best live path carries the traffic; when it
// falls silent another takes over. Relay through a root is the caller's
// fallback when no direct path is alive. No I/O: poll(now) says which probes
// to send and when to call again. docs/protocol.md §6.8.
//
// Only the caller's word makes a path live: authenticated() must be called only
// for a datagram that decrypted under the peer's session (or completed its
// handshake) and arrived from that endpoint directly, never for anything an
// unauthenticated packet claims.

#include <cstdint>
#include <optional>
#include <vector>

#include "base/instant.hpp"
#include "wire/endpoint.hpp"

namespace weft::peer {

struct PathConfig {
  // A live path is probed this often (keepalive for NAT mappings + latency).
  Duration probe_interval = 5s;
  // A candidate not yet confirmed is probed this often, punch_attempts times
  // after it is (re)announced, then at probe_interval.
  Duration punch_interval = 200ms;
  std::uint32_t punch_attempts = 10;
  // Traffic sent on a path and nothing authenticated back for quiet_after:
  // probe it at once; a probe unanswered for probe_timeout makes the path
  // suspect, and traffic moves to another live path without waiting for
  // path_timeout.
  Duration quiet_after = 1s;
  Duration probe_timeout = 1s;
  // No authenticated datagram for this long: the path is dead.
  Duration path_timeout = 15s;
  // A candidate (or dead path) that nothing has confirmed for this long is forgotten.
  Duration candidate_timeout = 60s;
  // A live path replaces the chosen one only if its latency is lower by at
  // least max(switch_margin, chosen latency / 4): no flapping between near equals.
  Duration switch_margin = 5ms;
  std::size_t max_paths = 8;
};

struct ProbeRequest {
  wire::Endpoint endpoint;
  std::uint64_t id;
};

class PathSet {
 public:
  explicit PathSet(const PathConfig& config) : config_(&config) {}

  // A candidate endpoint heard of (not trusted): probed, never used for
  // traffic until authenticated(). Announcing a known unconfirmed candidate
  // again restarts its punch burst (a new rendezvous).
  void add_candidate(Instant now, const wire::Endpoint& e);
  // An authenticated datagram from the peer arrived from e.
  void authenticated(Instant now, const wire::Endpoint& e);
  // The peer confirmed a new session from e (it restarted, rekeyed or moved):
  // e carries the traffic from now on, and every other path must prove itself
  // alive again (a probe answered, or authenticated traffic) before it is used.
  // Without this a restarted peer's old endpoint, alive by its last keepalive,
  // would keep the traffic until it fell silent (seconds).
  void session_started(Instant now, const wire::Endpoint& e);
  // A probe reply arrived from e (authenticated, as above): measures latency
  // when it answers the last probe sent there.
  void probe_reply(Instant now, const wire::Endpoint& e, std::uint64_t id);

  // Traffic was just sent on e.
  void used(Instant now, const wire::Endpoint& e);

  // The endpoint traffic should use now, with hysteresis; empty if no path is alive.
  std::optional<wire::Endpoint> select(Instant now);
  // Candidate endpoints not yet confirmed (where a handshake should be punched).
  [[nodiscard]] std::vector<wire::Endpoint> unconfirmed(Instant now) const;
  [[nodiscard]] bool alive(Instant now, const wire::Endpoint& e) const;

  // Appends the probes due now (ids from next_id, incremented) and returns
  // when the next one is due. Forgets stale candidates.
  Instant poll(Instant now, std::uint64_t& next_id, std::vector<ProbeRequest>& out);

  // The smoothed round trip of e's probes (nullopt before the first reply).
  [[nodiscard]] std::optional<Duration> latency(const wire::Endpoint& e) const;
  // The last probe round trip measured on e (nullopt before the first reply).
  [[nodiscard]] std::optional<Duration> last_latency(const wire::Endpoint& e) const;
  [[nodiscard]] std::size_t size() const noexcept { return paths_.size(); }

 private:
  struct Path {
    wire::Endpoint endpoint;
    Instant added;
    std::optional<Instant> last_authenticated;
    Instant last_probe{Instant::from_nanos(INT64_MIN / 2)};
    std::optional<Instant> last_used;
    std::uint32_t punches{0};
    std::optional<Duration> rtt;  // smoothed
    std::optional<Duration> last_rtt;
    std::uint64_t probe_id{0};
    Instant probe_sent{};
    bool probe_outstanding{false};
    // The first probe still unanswered (a resend does not restart the clock).
    std::optional<Instant> unanswered_since;
  };

  Path* find(const wire::Endpoint& e);
  [[nodiscard]] const Path* find(const wire::Endpoint& e) const;
  [[nodiscard]] bool is_alive(Instant now, const Path& p) const;
  [[nodiscard]] bool suspect(Instant now, const Path& p) const;
  [[nodiscard]] bool wants_probe(Instant now, const Path& p) const;
  [[nodiscard]] Duration cost(const Path& p) const;
  Path& insert(Instant now, const wire::Endpoint& e);

  const PathConfig* config_;
  std::vector<Path> paths_;
  std::optional<wire::Endpoint> chosen_;
};

}  // namespace weft::peer
