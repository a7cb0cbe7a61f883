#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "osdep/endpoint.hpp"
#include "osdep/poller.hpp"
#include "osdep/udp_socket.hpp"
#include "tap/frame_sink.hpp"
#include "tap/receive_pump.hpp"
#include "tap/tap.hpp"

namespace weft::tap {

// A dev link: Ethernet frames as plain UDP datagrams (one frame per datagram)
// between two processes, normally on loopback.
//
// UNENCRYPTED AND UNAUTHENTICATED: anyone who can send to the port can inject
// frames (datagrams from other than the configured peer endpoint are dropped,
// which stops accidents, not attackers). It exists to test and benchmark the
// frame path, the stack and the sockets without the peer layer. Never use it
// to carry real traffic.
//
// Outward, it is the network's FrameSink of a Tap: send_frames sends the whole
// batch to the peer with one sendmmsg (GSO when the kernel allows). Inward, it
// owns one receive thread that sleeps in a Poller until the socket is readable,
// reads up to UdpSocket::kMaxBatch datagrams with one recvmmsg (with GRO, up to
// kMaxBatch coalesced runs) and hands them to tap.put() in one call per batch.
// stop() (or the destructor) wakes that thread and joins it. Other threads may
// receive too (ReceivePump), one at a time: whoever gets there first.
class DevLink final : public FrameSink, public ReceivePump {
 public:
  struct Stats {
    std::uint64_t frames_sent;
    std::uint64_t frames_received;    // handed to the tap
    std::uint64_t batches_received;   // tap.put() calls
    std::uint64_t send_dropped;       // the kernel did not take them (or not started)
    std::uint64_t foreign_dropped;    // from an endpoint other than the peer
    std::uint64_t truncated_dropped;  // larger than the tap's MTU plus header
    std::uint64_t receive_errors;     // recvmmsg failures other than would-block
  };

  // Binds the link's UDP socket (port 0: any free port, see local()).
  static Result<std::unique_ptr<DevLink>> open(const osdep::Endpoint& bind,
                                               osdep::UdpSocket::Options options = {});
  ~DevLink() override;
  DevLink(const DevLink&) = delete;
  DevLink& operator=(const DevLink&) = delete;

  [[nodiscard]] const osdep::Endpoint& local() const noexcept { return socket_.local(); }

  // Sets the peer and starts the receive thread feeding `tap` (which must
  // outlive the thread, i.e. stop()). Call once, before any send_frames, from
  // the thread that will send or one that happens-before it.
  Result<void> start(const osdep::Endpoint& peer, Tap& tap);
  // Wakes and joins the receive thread. Idempotent.
  void stop() noexcept;

  // To the peer, one datagram per frame, one system call per batch of up to
  // UdpSocket::kMaxBatch. Frames the kernel does not take are dropped and
  // counted, as a full Ethernet queue would drop them.
  void send_frames(std::span<const ByteSpan> frames) override;

  // ReceivePump, between start() and stop().
  [[nodiscard]] int receive_fd() const noexcept override { return socket_.fd(); }
  void pump() noexcept override;
  void defer(bool deferring) noexcept override;

  [[nodiscard]] Stats stats() const noexcept;
  [[nodiscard]] osdep::UdpSocket::Stats socket_stats() const noexcept { return socket_.stats(); }

 private:
  DevLink(osdep::UdpSocket socket, osdep::Poller poller) noexcept
      : socket_(std::move(socket)), poller_(std::move(poller)) {}
  void receive_loop();
  // receiving_ held. Reads what waits, a bounded number of batches.
  void receive_some();
  bool receive_batch();  // receiving_ held

  osdep::UdpSocket socket_;
  osdep::Poller poller_;
  // Fixed by start(), before the thread exists.
  std::optional<osdep::Endpoint> peer_;
  Tap* tap_{nullptr};
  std::size_t max_frame_{0};
  // One receiver at a time (the thread, or a pump()) uses the receive buffers.
  std::mutex receiving_;
  std::vector<std::byte> storage_;
  std::vector<osdep::UdpSocket::RecvSlot> slots_;
  std::vector<ByteSpan> frames_;
  std::thread thread_;

  std::atomic<std::uint64_t> frames_sent_{0};
  std::atomic<std::uint64_t> frames_received_{0};
  std::atomic<std::uint64_t> batches_received_{0};
  std::atomic<std::uint64_t> send_dropped_{0};
  std::atomic<std::uint64_t> foreign_dropped_{0};
  std::atomic<std::uint64_t> truncated_dropped_{0};
  std::atomic<std::uint64_t> receive_errors_{0};
};

}  // namespace weft::tap
