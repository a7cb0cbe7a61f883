#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/instant.hpp"
#include "base/network_id.hpp"
#include "base/result.hpp"
#include "wire/vl2_messages.hpp"

namespace weft::runtime {

// What a name turned out to be.
struct NameResolution {
  enum class Status : std::uint8_t {
    found,           // a member: its addresses follow
    no_such_member,  // under a joined network's domain, but no authorized member has it
    not_virtual,     // no joined network's name: the system resolver's
  };
  Status status{Status::not_virtual};
  std::string canonical;  // found: "label.domain", or the label when the network has no domain
  std::vector<ByteArray<4>> ipv4;
  std::vector<ByteArray<16>> ipv6;
};
using NameCallback = std::function<void(Result<NameResolution>)>;

// A joined network with a config, as names see it.
struct NamedNetwork {
  NetworkId id;
  std::string domain;  // may be empty: its members are then found by bare label only
};

// Member names of the joined networks (docs/vnet.md §3.9): which network a
// name belongs to, the controllers' answers, and a cache of them.
//
//   "bob.lab.weft"  — the network whose domain is "lab.weft" is asked for
//                     "bob" and its answer is final (no such member: no such
//                     name; no answer in time: Error::timed_out);
//   "bob"           — every joined network is asked, in order; the first that
//                     knows bob answers. If none does, the name is not_virtual
//                     (so "printer" still reaches the system resolver).
// Names are compared in lower case, a trailing dot ignored. Answers are
// cached (found: found_ttl; no such member: missing_ttl), and one question per
// network and name is in flight at a time however many ask.
//
// Thread-safe. Callbacks run on the thread that completes them (resolve()'s,
// or answer()'s / expire()'s), never under the lock. A lookup still waiting
// at its deadline is finished by the next resolve(), answer() or expire().
class MemberNames {
 public:
  struct Limits {
    Duration found_ttl = 30s;
    Duration missing_ttl = 5s;
    Duration timeout = 3s;
    std::size_t max_lookups = 256;  // waiting at once; then Error::no_buffer
    std::size_t max_cached = 1024;  // answers kept; then the cache starts afresh
  };
  // Sends one question to a network's controller (Node::query_name's errors).
  using Ask = std::function<Result<void>(NetworkId, std::uint32_t query, std::string_view label)>;

  MemberNames() = default;
  explicit MemberNames(Limits limits) : limits_(limits) {}

  void resolve(Instant now, std::string_view name, std::span<const NamedNetwork> networks,
               const Ask& ask, NameCallback done);
  // A controller's answer; unknown or stale ones are ignored.
  void answer(Instant now, const wire::NameAnswer& answer);
  // Finishes the lookups whose deadline passed.
  void expire(Instant now);
  // Finishes every waiting lookup with `error` (the node stopped) and forgets the cache.
  void fail_all(Error error);

 private:
  using Key = std::pair<NetworkId, std::string>;  // network, label
  struct Cached {
    bool found{false};
    std::vector<ByteArray<4>> ipv4;
    std::vector<ByteArray<16>> ipv6;
    Instant expires{};
  };
  struct Candidate {
    Key key;
    std::string canonical;
    enum class State : std::uint8_t { waiting, found, missing, failed } state{State::waiting};
    Cached answer;
  };
  struct Lookup {
    std::vector<Candidate> candidates;
    bool authoritative{false};
    Instant deadline{};
    NameCallback done;
  };
  using Finished = std::vector<std::pair<NameCallback, Result<NameResolution>>>;

  // A finished lookup's result, or nullopt while an earlier candidate waits.
  static std::optional<Result<NameResolution>> outcome(const Lookup& l);
  void settle(Finished& finished);  // moves finished lookups out (under mu_)
  void expire_locked(Instant now);

  const Limits limits_{};
  std::mutex mu_;
  std::list<Lookup> lookups_;
  std::map<std::uint32_t, Key> in_flight_;  // query id -> what it asked
  std::map<Key, Cached> cache_;
  std::uint32_t next_query_{1};
};

}  // namespace weft::runtime
