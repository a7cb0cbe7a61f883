#pragma once

// VL1 sessions with every known peer: handshakes (initiator and responder),
// the DoS defence, current/previous/next sessions with rekey on time and on
// volume, queued messages while a handshake runs, fragmentation and reassembly.
// No I/O: every call takes `now` and appends the datagrams to send to `out`;
// poll() does the timed work and returns when it next needs to run.
// docs/protocol.md §4-§5 describe the protocol this drives.

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/fifo.hpp"
#include "base/instant.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "crypto/identity.hpp"
#include "crypto/noise_ik.hpp"
#include "crypto/rng.hpp"
#include "peer/cookie_checker.hpp"
#include "peer/identity_verifier.hpp"
#include "peer/load_monitor.hpp"
#include "peer/reassembler.hpp"
#include "peer/session.hpp"
#include "peer/session_limits.hpp"
#include "wire/data.hpp"
#include "wire/endpoint.hpp"

namespace weft::peer {

struct SessionTableConfig {
  SessionLimits limits;
  // More handshake messages than this per interval and the responder demands
  // cookies (no Diffie-Hellman for a message without a valid mac2).
  std::uint32_t load_threshold = 64;
  Duration load_interval = 1s;
  // Wall-clock nanoseconds since the Unix epoch at Instant zero: initiation
  // timestamps are this plus now, so they keep increasing across restarts.
  std::int64_t timestamp_offset_ns = 0;
  // Accept handshakes from identities not added with add_peer (after checking
  // that their keys derive their address), up to max_peers peers.
  bool accept_unknown_peers = true;
  std::size_t max_peers = 4096;
  std::size_t max_queued_per_peer = 64;
  // Largest UDP payload sent; larger inner messages are fragmented.
  std::size_t path_mtu = 1400;
  ReassemblerLimits reassembly;
  // Checks unknown initiators' address derivations; null: derive every time.
  // Not owned; must outlive the table.
  IdentityVerifier* verifier = nullptr;
};

struct SessionStats {
  std::uint64_t initiations_received = 0;
  std::uint64_t responses_received = 0;
  std::uint64_t cookie_replies_sent = 0;
  std::uint64_t cookie_replies_received = 0;
  std::uint64_t handshakes_completed = 0;
  std::uint64_t mac_rejected = 0;          // mac1 wrong: not made for our keys
  std::uint64_t handshake_rejected = 0;    // failed the handshake's AEAD/DH
  std::uint64_t initiations_replayed = 0;  // timestamp not newer than the last
  std::uint64_t initiations_crossed = 0;   // theirs dropped: ours is pending and wins
  std::uint64_t peers_rejected = 0;        // unknown or conflicting identity, table full
  std::uint64_t address_checks = 0;        // Argon2id address derivations done
  std::uint64_t data_received = 0;
  std::uint64_t data_replayed = 0;
  std::uint64_t data_rejected = 0;  // AEAD failure: not sealed with the session's key
  std::uint64_t data_expired = 0;   // for a session past its limits (or the previous one's grace)
  std::uint64_t unknown_index = 0;
  std::uint64_t malformed = 0;
  std::uint64_t queue_dropped = 0;
  std::uint64_t fragments_rejected = 0;
};

// A datagram to send: to the peer (on whichever path the caller chooses) or,
// with no peer, back to the source of the datagram being processed.
struct Outgoing {
  std::optional<NodeId> peer;
  Bytes datagram;
  // A fragment other than its message's last. The message completes only
  // with its last fragment, so this one may be sent ahead of datagrams queued
  // before it without changing the order in which messages complete.
  bool leads{false};
};

struct Received {
  enum class Kind : std::uint8_t { none, handshake, keepalive, message };
  Kind kind{Kind::none};
  std::optional<NodeId> peer;
  Bytes message;  // Kind::message: a whole inner message (frame, probe, root message)
  // This datagram confirmed a new session with the peer (the response to our
  // initiation, or the first datagram under a session the peer initiated): the
  // peer restarted, rekeyed or moved, and it spoke from this datagram's source.
  bool new_session{false};
};

class SessionTable {
 public:
  SessionTable(const crypto::Identity& self, crypto::Rng& rng, SessionTableConfig config = {});

  // Error::already_exists if the address is known with other keys.
  Result<void> add_peer(const crypto::PublicIdentity& peer);
  [[nodiscard]] bool has_session(NodeId peer) const;
  // The peer's verified keys, or null for an unknown address.
  [[nodiscard]] const crypto::PublicIdentity* peer_identity(NodeId peer) const;

  // Sends one inner message: sealed (fragmented if needed) into out if a session
  // is up, else queued and a handshake started. Error::not_found for an unknown
  // peer, Error::no_buffer if the peer's queue is full (the message is dropped).
  Result<void> send(Instant now, NodeId peer, ByteSpan inner, std::vector<Outgoing>& out);
  // Starts a handshake now (unless one is pending).
  Result<void> initiate(Instant now, NodeId peer, std::vector<Outgoing>& out);

  // Processes one datagram from `from`. Errors say why it was dropped (and are
  // counted); nothing a datagram contains can make this allocate without bound.
  Result<Received> receive(Instant now, const wire::Endpoint& from, ByteSpan datagram,
                           std::vector<Outgoing>& out);

  // Gives a Received::message buffer back once it has been used: a later
  // datagram is decrypted, or a fragmented message reassembled, into it
  // instead of a new allocation. Optional.
  void recycle(Bytes&& buffer);
  // Gives an Outgoing::datagram back once sent (the host copied it): a later
  // datagram is sealed into it. Optional; at most kMaxDatagramSpares of at
  // most kMaxDatagramSpare bytes each are kept.
  void recycle_datagram(Bytes&& datagram);
  static constexpr std::size_t kMaxDatagramSpares = 128;
  static constexpr std::size_t kMaxDatagramSpare = 2048;

  // Retransmits and rekeys handshakes, expires sessions and reassemblies, sends
  // keepalives. Returns the next instant poll() has work.
  Instant poll(Instant now, std::vector<Outgoing>& out);

  [[nodiscard]] const SessionStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const ReassemblerStats& reassembly_stats() const noexcept {
    return reassembler_.stats();
  }
  [[nodiscard]] const SessionTableConfig& config() const noexcept { return config_; }
  // The largest inner message send() seals into one datagram; longer ones are
  // fragmented.
  [[nodiscard]] std::size_t largest_unfragmented() const noexcept {
    return config_.path_mtu - wire::DataView::kMinSize;
  }
  // For tests: the current session's local index (0 if none).
  [[nodiscard]] std::uint32_t current_index(NodeId peer) const;

 private:
  struct Pending {
    crypto::NoiseIk::Initiator state;
    std::uint32_t index;
    Instant sent;
  };
  struct PeerState {
    explicit PeerState(const crypto::PublicIdentity& id) : identity(id), cookies(id) {}
    crypto::PublicIdentity identity;
    CookieJar cookies;
    std::optional<Session> current;
    std::optional<Session> previous;
    Instant previous_until{};
    std::optional<Session> next;  // responder side, until the initiator's first data
    std::optional<Pending> pending;
    Instant attempt_started{};
    std::uint64_t last_timestamp{0};
    Fifo<Bytes> queue;
    std::uint32_t next_message_id{0};
  };

  Result<Received> receive_initiation(Instant now, const wire::Endpoint& from, ByteSpan d,
                                      std::vector<Outgoing>& out);
  Result<Received> receive_response(Instant now, const wire::Endpoint& from, ByteSpan d,
                                    std::vector<Outgoing>& out);
  Result<Received> receive_cookie_reply(Instant now, ByteSpan d);
  Result<Received> receive_data(Instant now, ByteSpan d, std::vector<Outgoing>& out);
  // Takes the decrypted plaintext over: a whole message is handed on without a copy.
  Result<Received> deliver(Instant now, NodeId peer, Bytes&& plaintext);

  // Whether a handshake message may cost a Diffie-Hellman; if not, the cookie
  // reply to send instead has been appended to out.
  bool admit_handshake(Instant now, const wire::Endpoint& from, std::uint32_t sender_index,
                       std::span<const std::byte, 16> mac1, ByteSpan mac2_input,
                       std::span<const std::byte, 16> mac2, std::vector<Outgoing>& out);
  Result<NodeId> identify_initiator(const crypto::NoiseIk::Consumed& c);

  void send_initiation(Instant now, NodeId id, PeerState& p, std::vector<Outgoing>& out);
  Result<void> seal_to(Instant now, NodeId id, PeerState& p, ByteSpan inner,
                       std::vector<Outgoing>& out);
  // A buffer of `size` bytes for a datagram, a spare if there is one.
  Bytes datagram_buffer(std::size_t size);
  void install_current(Instant now, PeerState& p, Session s);
  void flush_queue(Instant now, NodeId id, PeerState& p, std::vector<Outgoing>& out);
  void drop_session(std::optional<Session>& s);
  std::uint32_t new_index(NodeId owner);
  [[nodiscard]] bool answering(Instant now, const PeerState& p) const;
  [[nodiscard]] bool usable(const std::optional<Session>& s, Instant now) const;
  [[nodiscard]] std::uint64_t timestamp(Instant now) const noexcept;

  const crypto::Identity& self_;
  crypto::Rng& rng_;
  SessionTableConfig config_;
  CookieChecker cookie_checker_;
  LoadMonitor load_;
  Reassembler reassembler_;
  Bytes spare_;                         // for the next decryption; see recycle()
  std::vector<Bytes> datagram_spares_;  // see recycle_datagram()
  std::unordered_map<NodeId, PeerState> peers_;
  std::unordered_map<std::uint32_t, NodeId> indices_;
  std::map<crypto::PublicKey, NodeId> by_agreement_key_;
  std::uint64_t last_timestamp_sent_{0};
  SessionStats stats_;
};

}  // namespace weft::peer
