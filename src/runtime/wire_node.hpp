#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "crypto/identity.hpp"
#include "crypto/rng.hpp"
#include "node/node.hpp"
#include "node/node_host.hpp"
#include "osdep/datagram_loop.hpp"
#include "osdep/endpoint.hpp"
#include "peer/identity_verifier.hpp"
#include "tap/receive_pump.hpp"

namespace weft::runtime {

struct WireNodeConfig {
  osdep::Endpoint bind{osdep::Endpoint::loopback_v4(0)};
  // Roots, sessions, paths. If local_endpoints is empty and the socket is
  // bound to a specific address, that address is reported to the roots.
  node::NodeConfig node;
  // GRO on: a peer's GSO burst (WireNode sends each call's datagrams to a
  // peer as one) arrives as one receive slot instead of one per datagram.
  osdep::DatagramLoop::Options io{.socket = {.gro = true}};
};

// A frame that arrived from a peer; borrowed for the observer's call.
struct PeerFrame {
  NodeId from;
  ByteSpan frame;
};

// Called on the node's I/O thread, or on a thread receiving in its place
// (WireNode::receive_pump), one call at a time, with no lock of the node held
// (so it may call back into the WireNode, and take the stack's lock).
class WireNodeObserver {
 public:
  virtual ~WireNodeObserver() = default;
  // VL1 frames (the raw peer-to-peer channel).
  virtual void on_frames(std::span<const PeerFrame> /*frames*/) {}
  // Ethernet frames on a joined network that its switch accepted; a batch's
  // frames for one network in one call.
  virtual void on_network_frames(NetworkId /*network*/, std::span<const ByteSpan> /*frames*/) {}
  virtual void on_event(const node::NodeEvent& /*event*/) {}
  // A controller's answer to query_name().
  virtual void on_name_answer(const wire::NameAnswer& /*answer*/) {}
};

// A node's VL1 over real UDP: a node::Node driven by one I/O thread
// (osdep::DatagramLoop) and callable from any other thread.
//
// Receive: the I/O thread reads a batch with one recvmmsg, decrypts and
// dispatches it under the node's mutex, sends whatever that produced with one
// sendmmsg, and then, outside the mutex, hands the batch's frames to the
// observer in one call.
// Send: the caller's thread (the stack's, for a tap) encrypts and sends its
// frames itself under the mutex, with one sendmmsg per call — no hop to another
// thread. If the peer was not yet on a direct path (a lookup or a handshake
// may have started, with its own timers), the I/O thread is asked to
// recompute its deadline; otherwise it sleeps on.
// Receive in another thread's place: receive_pump() lets a thread that waits
// for a socket of the stack above receive the node's datagrams itself.
class WireNode final : private node::NodeHost,
                       private osdep::DatagramHandler,
                       private tap::ReceivePump {
 public:
  static Result<std::unique_ptr<WireNode>> open(crypto::Identity identity, WireNodeConfig config);
  ~WireNode() override;
  WireNode(const WireNode&) = delete;
  WireNode& operator=(const WireNode&) = delete;

  // Starts the I/O thread (registration with the roots begins at once).
  // `observer` must outlive stop(). Once only.
  Result<void> start(WireNodeObserver& observer);
  // Joins the I/O thread. Sends after this fail with Error::invalid_state.
  void stop() noexcept;

  // The node's receive path for a thread that would otherwise sleep until
  // the I/O thread handed it what arrived (socket::SocketTable's
  // add_receive_pump): it receives, decrypts and hands the frames to the
  // observer itself. Between start() and stop(); take it out of the table
  // before stop().
  [[nodiscard]] tap::ReceivePump& receive_pump() noexcept { return *this; }

  // From any thread. Error::invalid_argument (empty frame, ourselves),
  // Error::too_large, Error::no_buffer (the peer's queue is full while it is
  // being looked up); a frame the network loses is not an error.
  Result<void> send_frame(NodeId peer, ByteSpan frame);
  Result<void> send_frames(NodeId peer, std::span<const ByteSpan> frames);

  // Networks (VL2): events say when a network is ready and which addresses
  // it assigned. Errors as node::Node::join / leave.
  Result<void> join(NetworkId network);
  Result<void> leave(NetworkId network);
  // Ethernet frames from the application's stack; one sendmmsg per call.
  // Frames a network's switch refuses are counted there, not returned.
  Result<void> send_network_frames(NetworkId network, std::span<const ByteSpan> frames);

  // Asks a joined network's controller for a member by name (one DNS label);
  // the answer reaches the observer's on_name_answer with `query` echoed.
  // Errors as node::Node::query_name.
  Result<void> query_name(NetworkId network, std::uint32_t query, std::string_view name);
  // The config a joined network's controller sent (nullopt before it arrives).
  [[nodiscard]] std::optional<wire::NetworkConfig> network_config(NetworkId network) const;
  // node::Node::largest_unfragmented_network_frame (fixed by the config).
  [[nodiscard]] std::size_t largest_unfragmented_network_frame() const noexcept {
    return node_->largest_unfragmented_network_frame();
  }

  // From any thread: let the I/O thread run the node's timers now (e.g. a
  // hosted controller changed something its members must be told).
  void request_tick() noexcept { loop_->request_tick(); }

  [[nodiscard]] NodeId address() const noexcept { return identity_.address(); }
  [[nodiscard]] const crypto::PublicIdentity& public_identity() const noexcept {
    return identity_.public_identity();
  }
  [[nodiscard]] const osdep::Endpoint& local() const noexcept { return loop_->local(); }

  struct Stats {
    node::NodeStats node;
    peer::SessionStats sessions;
    peer::ReassemblerStats reassembly;
    osdep::DatagramLoop::Stats io;
    std::uint64_t send_dropped;  // datagrams the kernel refused
    // Received from port 0 or a scoped (link-local) IPv6 source: nothing
    // could answer it, so the node never sees it.
    std::uint64_t unanswerable_dropped;
  };
  [[nodiscard]] Stats stats() const;
  // Every root and peer the node knows with its path, latency and traffic
  // (node::Node::peer_stats). Copies under the mutex: for monitoring, not per packet.
  [[nodiscard]] std::vector<node::PeerStats> peer_stats() const;
  [[nodiscard]] node::Route route(NodeId peer) const;
  [[nodiscard]] bool registered(std::size_t root_index) const;

 private:
  WireNode(crypto::Identity identity, WireNodeConfig config,
           std::unique_ptr<osdep::DatagramLoop> loop);

  // node::NodeHost (called under mutex_)
  void send_datagram(const wire::Endpoint& to, ByteSpan datagram, node::SendOrder order) override;
  void deliver_frame(NodeId from, ByteSpan frame) override;
  void deliver_network_frame(NetworkId network, ByteSpan frame) override;
  void on_event(const node::NodeEvent& event) override;
  void on_name_answer(const wire::NameAnswer& answer) override;
  // osdep::DatagramHandler (the I/O thread, or a thread pumping the loop)
  void on_datagrams(Instant now, std::span<const osdep::Datagram> batch) override;
  Instant on_tick(Instant now) override;
  // tap::ReceivePump, over the loop
  [[nodiscard]] int receive_fd() const noexcept override { return loop_->receive_fd(); }
  void pump() noexcept override { loop_->pump(); }
  void defer(bool deferring) noexcept override { loop_->mute(deferring); }

  // Runs `send` under the mutex, flushes, and wakes the I/O thread unless
  // everything went out directly (a lookup or handshake may have set an
  // earlier deadline than the one it sleeps towards).
  template <typename Send>
  Result<void> send_locked(Send&& send);
  void flush_locked();
  void hand_over();  // frames and events to the observer, outside mutex_

  crypto::Identity identity_;
  std::unique_ptr<crypto::Rng> rng_;
  // Each peer's address is derived (Argon2id) once, not at every handshake
  // and lookup; used under mutex_ like the node.
  std::unique_ptr<peer::IdentityCache> identities_;
  SteadyClock clock_;
  std::unique_ptr<osdep::DatagramLoop> loop_;
  WireNodeObserver* observer_{nullptr};

  mutable std::mutex mutex_;  // guards everything below
  std::unique_ptr<node::Node> node_;
  bool running_{false};
  osdep::Outbox outbox_;
  std::uint64_t send_dropped_{0};
  std::uint64_t unanswerable_dropped_{0};
  // Filled while the I/O thread processes a batch; handed over after it.
  struct Delivered {
    NodeId from;
    std::optional<NetworkId> network;  // set: an Ethernet frame on that network
    Bytes frame;
  };
  std::vector<Delivered> delivered_;  // [0, frames_) in use; the rest keep their buffers
  std::size_t frames_{0};
  std::vector<node::NodeEvent> events_;
  std::vector<wire::NameAnswer> answers_;

  // What hand_over() gives the observer: used only by the thread the loop
  // lets handle a batch (its I/O thread or a pumping one), one at a time.
  std::vector<Delivered> handing_frames_;
  std::vector<PeerFrame> handing_;
  std::vector<ByteSpan> handing_network_;
  std::size_t handing_count_{0};
  std::vector<node::NodeEvent> handing_events_;
};

}  // namespace weft::runtime
