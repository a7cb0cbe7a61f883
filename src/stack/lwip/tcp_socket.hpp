#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/fifo.hpp"
#include "stack/lwip/core_lock.hpp"
#include "stack/lwip/lwip_headers.hpp"
#include "stack/lwip/packet_peek.hpp"
#include "stack/lwip/watched_socket.hpp"
#include "stack/stack_driver.hpp"

namespace weft::stack::lwip {

// One TCP socket on lwIP's raw API: a connection, or a listener.
//
// Locks: lwIP's core lock, then mu_ (never the other way round). lwIP callbacks
// run with the core lock held and take mu_. pcb_ changes only with both held.
//
// Receive: the recv callback queues lwIP's pbuf chains (no copy). The receive
// window is given back (return_window) at once while fewer than rx_limit_ -
// window_ bytes wait unread, and otherwise only as the application consumes:
// rx_ never exceeds rx_limit_ (plus one byte per zero-window probe, see
// give_window), and a slow reader closes the advertised window and slows the
// sender. Giving the window back early matters: the window is only 64 KiB (128
// KiB with window scaling, widen_window), so waiting for the reader thread
// before reopening it halves throughput. Send: tcp_write copies into lwIP's segments up to
// tcp_sndbuf (TCP_SND_BUF, 64 KiB); when full, send returns would_block.
//
// pcb ownership: lwIP frees a pcb on its own after the err callback (reset, abort,
// last ACK), and silently after TIME_WAIT; so pcb_ is dropped in the err callback
// and handed back (tcp_close) as soon as both FINs have been seen. Before a pcb
// is handed back its callbacks are cleared: lwIP still calls recv on a peer FIN.
class TcpSocket final : public WatchedSocket {
 public:
  // Receive buffer per connection (SO_RCVBUF, at least TCP_WND): the window
  // stays fully open until this much is queued unread.
  static constexpr std::size_t kDefaultRecvBuffer = 256 * 1024;
  static constexpr std::size_t kMaxRecvBuffer = 16 * 1024 * 1024;
  // Send buffer per connection. lwIP's is TCP_SND_BUF (64 KiB, compiled in) and
  // equals the peer's 64 KiB window, so every ACK had to wake the application
  // before more data could be queued. pcb->snd_buf is plain free-space accounting
  // (ACKs add back what they free, with no clamp), so granting the pcb more at
  // connect time lets lwIP keep an unsent backlog it sends on ACKs by itself.
  // Bounded by TCP_SND_QUEUELEN (4 * 64 KiB / MSS = 180 segments).
  static constexpr std::size_t kSendBuffer = 192 * 1024;

  static Result<std::unique_ptr<TcpSocket>> create(Family family);
  ~TcpSocket() override;

  // Core lock held (lwIP's TCP input hook): false when syn is for a listener of
  // ours whose accept queue, counting handshakes under way, already holds
  // backlog + 1 connections (Linux's limit) and it starts no connection already
  // known. The caller then drops it, as Linux does; the client retransmits.
  static bool admits(const TcpSyn& syn) noexcept;
  // Core lock held (the same hook), for every TCP segment before lwIP processes
  // it: the connection it is for notes whether lwIP is in fast recovery and,
  // if not, how far it has sent (recover_after_ack).
  static void before_input(const TcpHeader& segment) noexcept;
  // Sends every acknowledgement on_recv held for a reader on the input thread
  // that its answer has not carried (LwipStack::send_held_acks).
  static void send_held_acks() noexcept;

  [[nodiscard]] Transport transport() const noexcept override { return Transport::tcp; }
  [[nodiscard]] Family family() const noexcept override { return family_; }

  Result<void> bind(const Endpoint& local) override;
  Result<void> listen(int backlog) override;
  Result<std::unique_ptr<Socket>> accept(Endpoint* peer) override;
  Result<void> connect(const Endpoint& remote) override;
  Result<std::size_t> send(ByteSpan data) override;
  Result<std::size_t> recv(MutableByteSpan buffer, bool peek, std::size_t* datagram_size) override;
  Result<std::size_t> recv_visit(const std::function<std::size_t(ByteSpan)>& visitor) override;
  Result<std::size_t> send_to(ByteSpan data, const Endpoint& remote) override;
  Result<std::size_t> recv_from(MutableByteSpan buffer, Endpoint& from,
                                std::size_t* datagram_size) override;
  Result<void> shutdown(bool read, bool write) override;
  void close() noexcept override;
  void abort() noexcept override;
  Result<void> set_option(Option option, int value) override;
  Result<int> get_option(Option option) override;
  Result<Endpoint> local_endpoint() override;
  Result<Endpoint> peer_endpoint() override;
  [[nodiscard]] std::uint32_t events() override;
  Result<void> take_error() override;

  TcpSocket(Family family, tcp_pcb* pcb, bool accepted) noexcept;

 private:
  enum class State { open, listening, connecting, connected, closed };
  struct Chunk {
    pbuf* chain;
    std::size_t offset;  // bytes of chain already consumed
  };

  static err_t on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t err);
  static err_t on_sent(void* arg, tcp_pcb* pcb, u16_t len);
  static void on_err(void* arg, err_t err);
  static err_t on_connected(void* arg, tcp_pcb* pcb, err_t err);
  static err_t on_accept(void* arg, tcp_pcb* pcb, err_t err);

  void install_callbacks() noexcept;  // core held
  // Core + mu_ held: copies the pcb's endpoints, which outlive the pcb (lwIP frees
  // it on reset or after the last ACK, before the application looks).
  void remember_endpoints() noexcept;
  // An IPv6 socket with IPV6_V6ONLY 0 (mu_ held): it speaks IPv4 through
  // IPv4-mapped addresses, and :: is both families.
  [[nodiscard]] bool dual() const noexcept { return family_ == Family::v6 && !v6_only_; }
  // Core held: clears callbacks and gives the pcb back to lwIP.
  void release_pcb(bool rst) noexcept;
  // close() (FIN, or RST with unread data) or abort() (RST).
  void end(bool rst) noexcept;
  // Core held. Returns the pbufs and children to free after unlocking.
  void close_locked(bool rst, std::vector<Chunk>& rx,
                    std::vector<std::unique_ptr<TcpSocket>>& children) noexcept;
  // mu_ held: what a read returns when it cannot take bytes (closed, listening,
  // the pending error, end of stream, would_block); nullopt when bytes wait.
  std::optional<Result<std::size_t>> nothing_to_read_locked() noexcept;
  // Tells lwIP about consumed bytes when enough piled up (or nothing is left).
  void maybe_recved(bool force);
  // tcp_output with Nagle's rule as Linux has it (core + mu_ held).
  void output_locked();
  std::size_t send_space_locked() const noexcept;  // core + mu_ held
  // Core + mu_ held. ack_held: this input's acknowledgement was just held
  // (hold_ack); what carries it will announce the window.
  void give_window(tcp_pcb* pcb, bool ack_held) noexcept;
  void return_window(tcp_pcb* pcb, std::size_t len, bool ack_held) noexcept;
  void widen_window(tcp_pcb* pcb) noexcept;                    // core + mu_ held
  void grow_send_buffer() noexcept;                // core + mu_ held, once connected
  void recover_after_ack(tcp_pcb* pcb) noexcept;   // core + mu_ held, from on_sent
  // Core lock held, mu_ not: this connection waits to be accepted, and its
  // listener is watched from the thread putting frames in.
  [[nodiscard]] bool acceptor_on_input_thread() const noexcept;
  // Core + mu_ held: the acknowledgement lwIP would send at once waits for the
  // reader's answer or for send_held_acks; or it no longer waits.
  void hold_ack() noexcept;
  void drop_held_ack() noexcept;
  std::uint32_t events_locked() const noexcept;

  const Family family_;
  tcp_pcb* pcb_{nullptr};
  State state_{State::open};
  Fifo<Chunk> rx_;
  std::size_t rx_bytes_{0};
  std::size_t consumed_unreported_{0};
  // Queued bytes whose receive window lwIP still holds closed (the rest of
  // rx_bytes_ was given back early, up to rx_limit_ - window_). Core + mu_.
  std::size_t held_{0};
  // The largest receive window: TCP_WND, or more once established with window
  // scaling (widen_window). Core + mu_.
  std::size_t window_{TCP_WND};
  std::size_t rx_limit_{kDefaultRecvBuffer};
  bool eof_{false};
  bool rd_shut_{false};
  bool wr_shut_{false};
  bool dead_{false};             // the connection is gone (reset, aborted, finished)
  bool nagle_{true};             // TCP_NODELAY off (core + mu_)
  bool v6_only_{false};          // IPV6_V6ONLY (IPv6 sockets; mu_)
  bool short_in_flight_{false};  // a short segment was sent; it ends at short_end_
  std::uint32_t short_end_{0};
  // Loss recovery on top of lwIP's (recover_after_ack). Core lock only: set by
  // before_input, read by on_sent in the same input processing.
  bool lwip_recovering_{false};  // lwIP was in fast recovery before this segment
  bool recovering_{false};       // ours: partial ACKs resend the next hole
  std::uint32_t sent_mark_{0};   // snd_nxt before the segment that began recovery
  std::uint32_t recover_{0};     // recovery ends once everything to here is acknowledged
  std::uint8_t quick_acks_{16};         // segments still acknowledged at once (core + mu_)
  bool ack_held_{false};                // in the held list (hold_ack; core + mu_)
  // While this connection waits in a listener's accept queue, that listener
  // (set by on_accept, cleared by accept; read under the core lock, which the
  // listener's close needs, so it outlives every read).
  std::atomic<TcpSocket*> queued_on_{nullptr};
  std::optional<Error> error_;          // SO_ERROR
  std::size_t send_space_{0};           // free send buffer when last seen, for events()
  std::size_t send_capacity_{0};        // what the pcb's snd_buf counts down from
  std::optional<Endpoint> last_local_;  // getsockname once the pcb is gone (core + mu_)
  std::optional<Endpoint> remote_;      // the peer, once known (core + mu_)
  Fifo<std::unique_ptr<TcpSocket>> accept_q_;
  std::size_t backlog_{0};  // the queue holds backlog_ + 1, as on Linux
};

}  // namespace weft::stack::lwip
