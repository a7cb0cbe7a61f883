#pragma once

// One network's virtual Ethernet switch, as one member sees it (docs/vnet.md §6).
// No I/O: the node feeds it configs, credentials, revocations and frames, and
// sends what it returns.
//
//  - Our side: the config (checked with ConfigCheck: this network, this member,
//    signed by the network's controller, newer than the one held) and the
//    credential it carries.
//  - Peers: each peer's credential state (pending / valid / rejected), bounded
//    by SwitchLimits::max_peers (least recently used entry evicted). A stored
//    credential is checked again against our current credential and the
//    revocations on every frame, without the signature (checked once when it
//    arrived), so a revocation or our own refresh takes effect at the next frame.
//  - Outbound: unicast goes to the member the destination MAC derives from
//    (MemberMac); broadcast and multicast go to every known member, at most
//    max_fanout of them. A target whose credential we do not hold yet gets ours
//    (asking for theirs) and the frame waits in a bounded queue until theirs
//    arrives; first frames are ARP requests and TCP SYNs, and dropping them
//    would cost the application a retransmission timeout (1 s or more).
//  - Inbound: dropped and counted unless the sender holds a valid, unrevoked
//    credential for this network, the source MAC is the sender's derived MAC,
//    and the destination is our MAC, broadcast or multicast.

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/fifo.hpp"
#include "base/instant.hpp"
#include "base/mac.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "crypto/public_identity.hpp"
#include "vnet/revocations.hpp"
#include "wire/membership_credential.hpp"
#include "wire/network_config.hpp"
#include "wire/vl2_messages.hpp"

namespace weft::vnet {

struct SwitchLimits {
  std::size_t max_peers = 1024;              // peers whose credential state is kept
  std::size_t max_queued_per_peer = 16;      // frames waiting for one peer's credential
  std::size_t max_queued_bytes = 1U << 20U;  // all waiting frames of the network
  std::size_t max_members = 1024;            // known members (gathered, or seen valid)
  std::size_t max_fanout = 256;              // targets of one broadcast/multicast frame
  // While a peer's credential is missing, ours is presented again at most this often;
  // and a peer's request for ours is answered at most this often.
  Duration present_interval = 1s;
};

struct SwitchStats {
  std::uint64_t frames_sent = 0;      // unicast targets and broadcast copies
  std::uint64_t frames_received = 0;  // delivered to the application
  std::uint64_t frames_queued = 0;
  std::uint64_t dropped_not_ready = 0;        // no config held
  std::uint64_t dropped_malformed = 0;        // not an Ethernet frame
  std::uint64_t dropped_no_credential = 0;    // inbound: sender holds no valid credential
  std::uint64_t dropped_spoofed_source = 0;   // the source MAC is not the sender's
  std::uint64_t dropped_bad_destination = 0;  // a MAC no member has, ours, or not ours
  std::uint64_t dropped_queue_full = 0;
  std::uint64_t dropped_rejected = 0;  // outbound to a peer whose credential was refused
  std::uint64_t fanout_limited = 0;    // broadcasts that reached only max_fanout members
  std::uint64_t credentials_accepted = 0;
  std::uint64_t credentials_rejected = 0;
  std::uint64_t configs_rejected = 0;
  std::uint64_t revocations_applied = 0;
  std::uint64_t peers_evicted = 0;
};

// An address the controller assigned (from the config).
struct Address {
  bool ipv6{false};
  ByteArray<16> bytes{};  // IPv4 uses the first 4
  std::uint8_t prefix{0};
  bool operator==(const Address&) const = default;
  auto operator<=>(const Address&) const = default;
};

// What a config changed for the application.
struct ConfigChange {
  bool first{false};  // the network just became ready
  std::vector<Address> added;
  std::vector<Address> removed;
};

// What to do with an outbound frame, or with the frames a credential released.
struct SwitchOutput {
  std::vector<NodeId> send;     // send the frame to these members now
  std::vector<NodeId> present;  // present our credential (want_reply) to these first
};

// What a member list releases: broadcasts made before the first list, for the
// members it names.
struct ListedOutput {
  std::vector<std::pair<NodeId, Bytes>> send;  // send these frames now
  std::vector<NodeId> present;                 // present our credential to these first
};

class NetworkSwitch {
 public:
  enum class PeerState : std::uint8_t { unknown, pending, valid, rejected };

  NetworkSwitch(NetworkId network, const crypto::PublicIdentity& self, SwitchLimits limits = {});

  [[nodiscard]] NetworkId network() const noexcept { return network_; }
  [[nodiscard]] Mac mac() const noexcept { return mac_; }
  [[nodiscard]] bool ready() const noexcept { return config_.has_value(); }
  [[nodiscard]] const std::optional<wire::NetworkConfig>& config() const noexcept {
    return config_;
  }

  // A config from `controller` (the identity the session with the network's
  // controller address authenticated). ConfigCheck's errors; on success, what
  // changed. Our credential changes with it, so every peer gets ours again.
  Result<ConfigChange> accept_config(const wire::NetworkConfig& config,
                                     const crypto::PublicIdentity& controller);
  // The network is gone for us (refused or left): config, credential, peers
  // and queues are dropped; returns the addresses that went with the config.
  std::vector<Address> clear();

  // A revocation, signed by the controller whose config we hold
  // (ConfigCheck::check_revocation; Error::invalid_state before any config).
  Result<void> accept_revocation(const wire::RevocationMessage& revocation);

  // A credential `peer` (the identity its session authenticated) presented.
  //   Error::invalid_state       no config of ours yet (the credential is not kept)
  //   Credentials::check's errors (the peer is then rejected; its queue dropped)
  //   Error::replayed            older than the valid one we hold (nothing changes)
  // On success `released` receives the frames that waited for it.
  Result<void> accept_credential(Instant now, const crypto::PublicIdentity& peer,
                                 const wire::MembershipCredential& credential,
                                 std::vector<Bytes>& released);

  // Members the controller says are online (replaces the gathered list; peers
  // seen with a valid credential stay known). The first list also gets the
  // broadcasts made since the config came (kUnlistedWait at most), each to the
  // members that were not known when it was made: the application learns its
  // address with the config, a controller round trip before the list, and its
  // first frame is an ARP request or neighbour solicitation, which lost would
  // cost it a retry a second later.
  void set_members(Instant now, const std::vector<NodeId>& members, ListedOutput& out);
  static constexpr Duration kUnlistedWait = 2s;
  [[nodiscard]] std::size_t known_members() const noexcept { return members_.size(); }

  // An Ethernet frame from the application. Error::invalid_state (no config),
  // Error::malformed (not Ethernet), Error::permission_denied (the source MAC is
  // not ours), Error::host_unreachable (a unicast MAC of no member, or ours).
  // Frames for peers listed in out.present were queued (or dropped when the
  // queue is full: counted).
  Result<void> outbound(Instant now, ByteSpan frame, SwitchOutput& out);

  // An Ethernet frame from `peer`: Error::invalid_state (no config),
  // Error::not_authorized / expired / revoked (no valid credential: the caller
  // should present ours with want_reply, see should_present()),
  // Error::permission_denied (spoofed source), Error::malformed,
  // Error::host_unreachable (a unicast destination not ours).
  Result<void> inbound(Instant now, NodeId peer, ByteSpan frame);

  // Whether our credential should go to `peer` now: not yet presented since it
  // last changed, or (asking = true: we lack theirs, or they asked for ours)
  // not within present_interval. Records the presentation when it says yes.
  bool should_present(Instant now, NodeId peer, bool asking);
  // `peer` started a new session with us (it restarted, or rekeyed): it may no
  // longer hold our credential, so what we presented to it is forgotten and its
  // next request is answered at once. Without this, a peer restarted within
  // present_interval of our last answer waited that long for our credential,
  // and its first frames with it.
  void forget_presented(NodeId peer) noexcept;
  // Our credential as a presentation message (requires ready()).
  [[nodiscard]] Bytes presentation(bool want_reply) const;

  [[nodiscard]] PeerState peer_state(NodeId peer) const;
  [[nodiscard]] std::size_t tracked_peers() const noexcept { return peers_.size(); }
  [[nodiscard]] const SwitchStats& stats() const noexcept { return stats_; }

 private:
  struct Peer {
    PeerState state{PeerState::unknown};
    std::optional<wire::MembershipCredential> credential;  // valid ones only
    Fifo<Bytes> queue;
    std::optional<std::uint64_t> presented_issued_ms;  // our credential they have
    std::optional<Instant> last_presented;
    Instant last_used;
  };

  Peer& peer(Instant now, NodeId id);
  // The stored credential still holds against ours and the revocations.
  Result<void> current(const Peer& p) const;
  void drop_queue(Peer& p);
  void target(Instant now, NodeId id, ByteSpan frame, SwitchOutput& out);
  // A broadcast made before the first member list, and whom it went to.
  struct Unlisted {
    Instant made;
    Bytes frame;
    std::set<NodeId> reached;
  };
  void keep_unlisted(Instant now, ByteSpan frame, const std::set<NodeId>& reached);
  void drop_unlisted() noexcept;
  [[nodiscard]] std::vector<Address> addresses() const;

  NetworkId network_;
  crypto::PublicIdentity self_;
  Mac mac_;
  SwitchLimits limits_;
  std::optional<wire::NetworkConfig> config_;
  std::optional<crypto::PublicIdentity> controller_;
  Revocations revocations_;
  std::unordered_map<NodeId, Peer> peers_;
  std::set<NodeId> members_;
  bool listed_{false};  // a member list has come since the config
  std::deque<Unlisted> unlisted_;
  std::size_t queued_bytes_{0};
  SwitchStats stats_;
};

}  // namespace weft::vnet
