#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/instant.hpp"
#include "base/result.hpp"
#include "osdep/endpoint.hpp"
#include "osdep/poller.hpp"
#include "osdep/udp_socket.hpp"

namespace weft::osdep {

// One received datagram, borrowed for the duration of the handler's call.
struct Datagram {
  ByteSpan data;
  Endpoint from;
};

// Datagrams to send, gathered while a batch is processed and sent together
// with as few sendmmsg calls as they need; runs of datagrams to one
// destination go as UDP GSO bursts where the socket has GSO. Buffers are kept
// between flushes, so a steady flow allocates nothing.
class Outbox {
 public:
  enum class Order : std::uint8_t {
    // Sent after every datagram added before it.
    in_turn,
    // May leave ahead of in_turn datagrams added before it for the same
    // destination, never ahead of another may_lead one. Meant for a fragment
    // that is not its message's last: the message completes only with its
    // last fragment, which keeps its turn, so messages still complete in the
    // order they were added, while a batch's full-size fragments gather into
    // one GSO run instead of alternating with the short last ones (one GSO
    // message per frame).
    may_lead,
  };
  // How many in_turn datagrams to one destination the may_lead ones before
  // them may overtake at most, so a receiver has at most this many of our
  // messages in reassembly at once (peer::ReassemblerLimits keeps 256).
  static constexpr std::size_t kMaxOvertaken = 32;

  void add(const Endpoint& to, ByteSpan datagram, Order order = Order::in_turn);
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }

  struct Flushed {
    std::size_t sent{0};
    std::size_t dropped{0};  // the kernel refused them (full buffer, unreachable, ...)
  };
  // Sends everything and empties the outbox. UDP may drop; so does this, counted.
  Flushed flush(UdpSocket& socket) noexcept;

 private:
  // The run [begin, end) to one destination, in the order it is to leave.
  void order_run(std::size_t begin, std::size_t end);

  std::vector<Bytes> buffers_;  // [0, count_) in use
  std::vector<Endpoint> to_;
  std::vector<Order> order_;
  std::size_t count_{0};
  std::vector<UdpSocket::SendItem> items_;
  std::vector<ByteSpan> spans_;
  std::vector<ByteSpan> held_;  // in_turn datagrams of a run, waiting for the may_lead ones
};

// What a DatagramLoop drives. One call at a time: from the loop's thread, or
// from a thread that receives in its place (DatagramLoop::pump).
class DatagramHandler {
 public:
  virtual ~DatagramHandler() = default;
  // Up to UdpSocket::kMaxBatch datagrams of one recvmmsg (a call with GRO
  // runs in it is handed over in several).
  virtual void on_datagrams(Instant now, std::span<const Datagram> batch) = 0;
  // After every batch, at the deadline it last returned, and after
  // DatagramLoop::request_tick(). Returns the next deadline.
  virtual Instant on_tick(Instant now) = 0;
};

// The I/O thread of a UDP service (a node's transport, a root): sleeps in a
// Poller until the socket is readable, its handler's deadline passes, or
// another thread asks for a tick; reads datagrams a batch at a time with one
// recvmmsg and hands each batch over in one call. No timer fires when nothing
// is due: the only timeout is the handler's own deadline.
//
// The handler sends through the socket itself (socket()), normally by filling
// an Outbox and flushing it once per batch.
//
// Another thread may receive in the loop thread's place: one about to sleep
// until data arrives for it waits for receive_fd() too and, when it turns
// readable, calls pump(): the datagram is handled on the thread that wants its
// contents, with no hand-off from the loop's thread (a wake-up per datagram
// less). While such a thread waits, its owner mutes the loop's socket, so the
// loop's thread sleeps on towards its deadline instead of waking for the same
// datagrams.
class DatagramLoop {
 public:
  struct Options {
    // With socket.gro, the kernel may hand over a run of datagrams from one
    // sender (a GSO burst, or what the NIC coalesced) in one receive slot; the
    // loop splits it, so the handler still sees single datagrams, and one
    // recvmmsg carries many more of them. Each slot is then kMaxGroBytes of
    // address space, touched only as far as datagrams fill it.
    UdpSocket::Options socket{};
    // The longest datagram accepted; longer ones are dropped and counted.
    std::size_t max_datagram{2048};
  };

  struct Stats {
    std::uint64_t datagrams_received;
    std::uint64_t batches_received;
    std::uint64_t oversized_dropped;
    std::uint64_t receive_errors;  // recvmmsg failures other than would-block
    std::uint64_t wakeups;         // times the thread left its wait
    std::uint64_t batches_pumped;  // of batches_received, those pump() received
  };

  static Result<std::unique_ptr<DatagramLoop>> open(const Endpoint& bind, Options options);
  static Result<std::unique_ptr<DatagramLoop>> open(const Endpoint& bind) {
    return open(bind, Options{});
  }
  ~DatagramLoop();
  DatagramLoop(const DatagramLoop&) = delete;
  DatagramLoop& operator=(const DatagramLoop&) = delete;

  [[nodiscard]] UdpSocket& socket() noexcept { return socket_; }
  [[nodiscard]] const Endpoint& local() const noexcept { return socket_.local(); }

  // Starts the thread. `handler` and `clock` must outlive stop(). Once only.
  Result<void> start(DatagramHandler& handler, const Clock& clock);
  // Wakes the thread and joins it; the handler is not called after this returns.
  void stop() noexcept;
  // From any thread: run the handler's on_tick soon (its deadline may have moved earlier).
  void request_tick() noexcept { poller_.wake(); }

  // Readable while datagrams wait.
  [[nodiscard]] int receive_fd() const noexcept { return socket_.fd(); }
  // From any thread, once started: receives what waits, hands it to the
  // handler and runs its on_tick, as the loop's thread does when it wakes
  // (after it, or before it: one receives at a time). The deadline on_tick
  // returns re-arms the loop's timer; the loop's thread is not woken for it.
  // Does nothing once stop() began.
  void pump() noexcept;
  // While muted, the loop's thread does not wake for datagrams; its deadline
  // and request_tick() still wake it.
  void mute(bool muted) noexcept;

  [[nodiscard]] Stats stats() const noexcept;

 private:
  DatagramLoop(UdpSocket socket, Poller poller, UniqueFd timer, Options options) noexcept;
  void run();
  // Up to kDatagramsPerWakeup datagrams to the handler (handling_ held).
  void receive_some();
  // The timer fires at `deadline` (handling_ held).
  void arm(Instant deadline) noexcept;
  std::size_t receive_batch();

  UdpSocket socket_;
  Poller poller_;
  // timerfd, in the poller: the handler's deadline. A timer rather than the
  // wait's timeout, so a pumping thread that moves the deadline earlier sets
  // it with one call instead of waking the loop's thread to sleep again (a
  // context switch per datagram when every batch moves it).
  UniqueFd timer_;
  Options options_;
  std::unique_ptr<std::byte[]> storage_;  // uninitialised: pages are touched only when used
  std::vector<UdpSocket::RecvSlot> slots_;
  DatagramHandler* handler_{nullptr};  // set by start()
  const Clock* clock_{nullptr};
  // Held while the handler is called and the slots are in use: the loop's
  // thread and pumping threads take turns. Guards what follows it.
  std::mutex handling_;
  std::vector<Datagram> batch_;
  Instant armed_{Instant::max()};  // where timer_ fires; max(): disarmed
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::atomic<std::uint64_t> datagrams_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> oversized_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> wakeups_{0};
  std::atomic<std::uint64_t> batches_pumped_{0};
};

}  // namespace weft::osdep
