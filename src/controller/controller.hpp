#pragma once

// The network controller's core: who is a member of which network, what
// addresses they hold, and the signed configs and credentials that say so.
//
// No I/O but the store: time comes in as `now_ms` (the controller's wall clock,
// ms since the Unix epoch: it goes into credentials and configs), config
// requests come in as bytes from an authenticated peer and replies go out as
// bytes, pushes wait in a queue the owner drains. The node plugs
// handle_inner() into its inner-message dispatch (types 0x20..0x2f) and sends
// what take_pushes() returns; the admin API calls the management methods.
// Thread-safe: one mutex serialises every call (the admin API's threads and
// the node's thread).
//
// Unknown members on a private network are recorded (so an admin can see and
// authorize them) up to Limits::max_pending per network; beyond it they are
// refused without a write, so a flood of requests from fresh identities costs
// a bounded number of rows. Refusals and repeat requests never write.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "controller/store.hpp"
#include "crypto/identity.hpp"
#include "crypto/public_identity.hpp"
#include "vnet/credentials.hpp"
#include "wire/network_config.hpp"
#include "wire/vl2_messages.hpp"

namespace weft::controller {

struct NetworkSettings {
  std::string name;
  bool is_private{true};
  std::uint16_t mtu{2800};
  std::string dns_domain;            // empty: members get no DNS names
  std::vector<Ipv4Pool> ipv4_pools;  // empty: no IPv4 assignment
  std::vector<wire::ManagedRoute> routes;
};

struct NetworkInfo {
  NetworkId id;
  NetworkRow row;
  std::vector<Ipv4Pool> pools;
  std::vector<wire::ManagedRoute> routes;
  std::int64_t authorized_members{0};
  std::int64_t pending_members{0};
};

struct MemberInfo {
  NodeId node;
  MemberRow row;
  std::vector<wire::Ipv4Assignment> ipv4;
  wire::Ipv6Assignment ipv6;  // derived (vnet::Ula)
  std::string dns_name;       // name.domain, or empty
  bool online{false};
};

struct MemberUpdate {
  std::optional<std::string> name{};                        // a DNS label; "" clears
  std::optional<std::vector<wire::Ipv4Assignment>> ipv4{};  // replaces the member's
};

// An inner message (wire/vl2_messages.hpp) for an online member.
struct Push {
  NodeId to;
  NetworkId network;
  Bytes message;
};

class Controller {
 public:
  struct Limits {
    std::size_t max_networks = 4096;
    std::size_t max_members = 100'000;  // authorized, per network
    std::size_t max_pending = 1000;     // recorded but unauthorized, per network
    std::uint64_t max_delta_ms = vnet::Credentials::kDefaultMaxDeltaMs;
    // A member that asked within this window counts as online and gets pushes.
    std::uint64_t online_window_ms = 3 * vnet::Credentials::kDefaultMaxDeltaMs;
  };

  Controller(crypto::Identity identity, Store store, Limits limits);

  [[nodiscard]] NodeId address() const noexcept { return identity_.address(); }
  [[nodiscard]] const crypto::PublicIdentity& public_identity() const noexcept {
    return identity_.public_identity();
  }

  // ---- management (admin API)
  // Error::invalid_argument (a name, domain, MTU, pool or route out of form),
  // Error::too_large (no free 24-bit number or Limits::max_networks reached).
  Result<NetworkInfo> create_network(const NetworkSettings& settings, std::uint64_t now_ms);
  Result<void> delete_network(NetworkId id);  // Error::not_found
  Result<std::vector<NetworkInfo>> networks();
  Result<NetworkInfo> network(NetworkId id);
  Result<std::vector<MemberInfo>> members(NetworkId id, std::uint64_t now_ms);
  Result<MemberInfo> member(NetworkId id, NodeId node, std::uint64_t now_ms);
  // Authorizing a member the controller has not seen yet records it by address;
  // its identity is bound when it first asks.
  Result<void> authorize(NetworkId id, NodeId node, std::uint64_t now_ms);
  // Revokes every credential issued up to now_ms and pushes the revocation to
  // the network's online members. Error::not_found for an unknown member.
  Result<void> deauthorize(NetworkId id, NodeId node, std::uint64_t now_ms);
  // Error::invalid_argument (bad name or address), Error::already_exists (an
  // address another member holds), Error::not_found.
  Result<void> update_member(NetworkId id, NodeId node, const MemberUpdate& update,
                             std::uint64_t now_ms);
  Result<void> delete_member(NetworkId id, NodeId node);  // releases its addresses

  // ---- members (over the peer layer)
  using Reply = std::variant<wire::ConfigMessage, wire::ConfigRefusal>;
  // A config request from `member`, the identity its session authenticated.
  // Error only for a store failure (the caller drops the request; the member retries).
  Result<Reply> handle_config_request(const crypto::PublicIdentity& member, NetworkId id,
                                      std::uint64_t now_ms);
  // A member_gather from `member`: the network's other online, authorized
  // members (who asked within Limits::online_window_ms), at most `limit` and
  // wire::MemberList::kMaxMembers, lowest addresses first. Error::not_authorized
  // unless `member` is an authorized member of the network with these keys;
  // Error::not_found for a network this controller does not have.
  Result<wire::MemberList> gather(const crypto::PublicIdentity& member, NetworkId id,
                                  std::size_t limit, std::uint64_t now_ms);
  // A name_query from `member`: the authorized member of the network called
  // `name` with its addresses, or found = false. Error::not_authorized and
  // Error::not_found as gather().
  Result<wire::NameAnswer> lookup_name(const crypto::PublicIdentity& member,
                                       const wire::NameQuery& query, std::uint64_t now_ms);
  // An inner message from a peer: a config_request, member_gather or
  // name_query gets reply bytes; anything
  // else is Error::unsupported (this is not a member's dispatch), bad bytes
  // Error::malformed / truncated.
  Result<Bytes> handle_inner(const crypto::PublicIdentity& peer, ByteSpan message,
                             std::uint64_t now_ms);

  // What online members must be sent after the changes since the last call:
  // new configs, revocations, refusals to the deauthorized.
  std::vector<Push> take_pushes(std::uint64_t now_ms);

 private:
  struct OnlineKey {
    std::uint64_t network;
    std::uint64_t node;
    auto operator<=>(const OnlineKey&) const = default;
  };

  NetworkId id_of(std::uint32_t number) const { return NetworkId::make(address(), number); }
  Result<std::uint32_t> number_of(NetworkId id) const;  // Error::not_found if not ours
  Result<NetworkInfo> info(std::uint32_t number);
  Result<MemberInfo> member_info(std::uint32_t number, const NetworkRow& net, const MemberRow& m,
                                 const std::vector<Ipv4Row>& all_ipv4, std::uint64_t now_ms);
  Result<std::vector<Ipv4Row>> allocate_ipv4(std::uint32_t number, std::uint64_t node);
  Result<wire::NetworkConfig> build_config(std::uint32_t number,
                                           const crypto::PublicIdentity& member,
                                           const MemberRow& row, std::uint64_t now_ms);
  Bytes refusal(NetworkId id, wire::RefusalReason reason) const;
  bool online(const OnlineKey& key, std::uint64_t now_ms) const;
  // Whether `member` is an authorized member of these rows with these keys.
  static bool authorized_asker(const std::vector<MemberRow>& rows,
                               const crypto::PublicIdentity& member);

  std::mutex mutex_;
  crypto::Identity identity_;
  Store store_;
  Limits limits_;
  // Members that asked recently (authorized, or recorded and waiting), with
  // the time they last asked; memory only (a restarted controller learns them
  // again from their next request). Bounded by the members the store holds.
  std::map<OnlineKey, std::uint64_t> last_request_ms_;
  // Members whose config changed since they last got one (take_pushes()).
  std::set<OnlineKey> dirty_members_;
  std::vector<Push> queued_;  // revocations and refusals, made at change time
};

}  // namespace weft::controller
