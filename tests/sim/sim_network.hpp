#pragma once

// A deterministic simulated IPv4 network with a virtual clock, for running
// many nodes and roots in one process. Everything happens in one event queue
// ordered by (time, sequence number); randomness (loss, jitter) comes from one
// seeded generator, so the same seed and the same calls give the same trace
// (trace_hash() folds every delivered datagram into a hash).
//
// Hosts are public (addresses 100.64.x.y) or behind a NAT (10.k.x.y behind NAT
// k). A datagram gets its sender's uplink (bandwidth: serialisation queue),
// latency (sender's + receiver's), jitter (reordering) and loss. NATs:
//   full_cone           endpoint-independent mapping and filtering
//   address_restricted  endpoint-independent mapping, filtering by remote address
//   port_restricted     endpoint-independent mapping, filtering by remote address and port
//   symmetric           a mapping (new external port) per remote endpoint, filtering as
//   port_restricted
// A mapping expires when no outbound datagram used it for mapping_timeout.
// Hairpinning (to the NAT's own public address from inside) works.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <vector>

#include "base/bytes.hpp"
#include "base/instant.hpp"
#include "wire/endpoint.hpp"

namespace weft::sim {

enum class NatType : std::uint8_t { full_cone, address_restricted, port_restricted, symmetric };
const char* nat_name(NatType t);

struct LinkConfig {
  Duration latency = 10ms;            // one way, this host's side
  Duration jitter = 0ms;              // uniform extra delay in [0, jitter): reorders
  double loss = 0.0;                  // probability a datagram sent or received here is lost
  std::uint64_t bits_per_second = 0;  // uplink; 0: unlimited
};

using Receiver = std::function<void(Instant now, const wire::Endpoint& from, ByteSpan datagram)>;

wire::Endpoint ep(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                  std::uint16_t port);

class SimNetwork {
 public:
  explicit SimNetwork(std::uint64_t seed) : rng_(seed) {}

  [[nodiscard]] Instant now() const noexcept { return now_; }

  // A NAT with public address 100.65.0.k; its hosts get 10.k.0.x. Returns k.
  int add_nat(NatType type, Duration mapping_timeout = 30s);
  [[nodiscard]] wire::Endpoint nat_public(int nat) const;
  // A host at `local` (a public address, or 10.k.0.x behind NAT k).
  void attach(const wire::Endpoint& local, LinkConfig link, Receiver receiver);
  // A host that is down sends and receives nothing.
  void set_down(const wire::Endpoint& local, bool down);
  // Drops datagrams sent from one host's local endpoint addressed to the
  // other's (both directions); paths through a NAT's public address still work.
  void block(const wire::Endpoint& a, const wire::Endpoint& b, bool blocked);

  void send(const wire::Endpoint& from_local, const wire::Endpoint& to, ByteSpan datagram);
  void schedule(Instant at, std::function<void()> fn);
  // Runs events up to and including `until`; the clock ends at `until`.
  void run_until(Instant until);

  // Sees every datagram as it is delivered (from as the receiver sees it, to
  // as addressed): what an on-path observer captures.
  std::function<void(const wire::Endpoint& from, const wire::Endpoint& to, ByteSpan)> observer;

  [[nodiscard]] std::uint64_t trace_hash() const noexcept { return hash_; }
  [[nodiscard]] std::uint64_t delivered() const noexcept { return delivered_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  struct Host {
    LinkConfig link;
    Receiver receiver;
    Instant uplink_free;
    bool down{false};
  };
  struct Mapping {
    wire::Endpoint internal;
    std::optional<wire::Endpoint> remote;  // symmetric: the one remote it serves
    std::set<wire::Endpoint> contacted;
    Instant last_out;
  };
  struct Nat {
    NatType type;
    Duration timeout;
    std::map<std::uint16_t, Mapping> by_port;
    std::uint16_t next_port{20000};
  };
  struct Event {
    Instant at;
    std::uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  [[nodiscard]] int nat_of(const wire::Endpoint& e) const;  // -1: public
  [[nodiscard]] int nat_by_public(const wire::Endpoint& e) const;
  wire::Endpoint translate_out(int nat, const wire::Endpoint& internal, const wire::Endpoint& to);
  std::optional<wire::Endpoint> translate_in(int nat, const wire::Endpoint& from,
                                             const wire::Endpoint& to);
  void deliver(const wire::Endpoint& from_local, const wire::Endpoint& from_seen,
               const wire::Endpoint& to, const Bytes& datagram);
  void fold(std::uint64_t v);

  std::mt19937_64 rng_;
  Instant now_;
  std::uint64_t seq_{0};
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::map<wire::Endpoint, Host> hosts_;
  std::vector<Nat> nats_;
  std::set<std::pair<wire::Endpoint, wire::Endpoint>> blocked_;
  std::uint64_t hash_{1469598103934665603ULL};
  std::uint64_t delivered_{0};
  std::uint64_t dropped_{0};
};

}  // namespace weft::sim

// Endpoints as map keys.
namespace weft::wire {
inline bool operator<(const Endpoint& a, const Endpoint& b) {
  if (a.family != b.family) return a.family < b.family;
  if (a.address != b.address) return a.address < b.address;
  return a.port < b.port;
}
}  // namespace weft::wire
