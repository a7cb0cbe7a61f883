#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "stack/endpoint.hpp"
#include "stack/waker.hpp"

namespace weft::stack {

enum class Transport : std::uint8_t { tcp, udp };

// Readiness, as poll(2) reports it.
struct Events {
  static constexpr std::uint32_t readable = 1U << 0;      // data, EOF, a connection to accept, or an error
  static constexpr std::uint32_t writable = 1U << 1;      // send() would take some bytes
  static constexpr std::uint32_t error = 1U << 2;         // take_error() has something
  static constexpr std::uint32_t hangup = 1U << 3;        // both directions finished (or reset)
  static constexpr std::uint32_t read_hangup = 1U << 4;   // the peer sent FIN
};

enum class Option : std::uint8_t {
  reuse_addr,       // bool; before bind
  keep_alive,       // bool
  keep_idle_s,      // seconds before the first probe
  keep_interval_s,  // seconds between probes
  keep_count,       // probes before the connection is dropped
  no_delay,         // bool (TCP_NODELAY)
  recv_buffer,      // bytes; a stack may clamp it (get reports the value in force)
  send_buffer,      // bytes; same
  send_queued,      // read-only: bytes sent but not yet acknowledged, or not yet sent
  v6_only,          // bool (IPV6_V6ONLY), IPv6 sockets, before bind; 0 by default as
                    // on Linux: the socket speaks IPv4 too, as IPv4-mapped addresses
};

// One socket of a stack. Every call is NON-BLOCKING: where a BSD socket would wait,
// it returns Error::would_block (or in_progress for connect) and the caller waits
// for readiness with watch() and a Waker. Blocking, timeouts and errno belong to
// the socket layer above. Calls may come from any thread; a socket serialises them.
class Socket {
 public:
  virtual ~Socket() = default;  // closes gracefully if still open
  Socket() = default;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  [[nodiscard]] virtual Transport transport() const noexcept = 0;
  [[nodiscard]] virtual Family family() const noexcept = 0;

  virtual Result<void> bind(const Endpoint& local) = 0;
  // TCP only. backlog bounds the queue of established, not yet accepted connections.
  virtual Result<void> listen(int backlog) = 0;
  // peer (if not null) receives the connection's remote endpoint, known even when
  // the connection was reset while it waited in the queue.
  virtual Result<std::unique_ptr<Socket>> accept(Endpoint* peer) = 0;
  // TCP: Error::in_progress while the handshake runs (already_in_progress if
  // called again meanwhile); the outcome shows as writable (connected) or error
  // (take_error()). UDP: sets the default peer. An IPv4-mapped address on an
  // IPv6 socket is IPv4 unless the socket is v6_only or bound to an IPv6
  // address (then network_unreachable).
  virtual Result<void> connect(const Endpoint& remote) = 0;

  // Stream bytes (TCP) or one datagram to the connected peer (UDP).
  virtual Result<std::size_t> send(ByteSpan data) = 0;
  // 0 means end of stream (TCP). UDP: one datagram, truncated to the buffer;
  // datagram_size (if not null) receives its full length (MSG_TRUNC). TCP leaves
  // datagram_size alone.
  virtual Result<std::size_t> recv(MutableByteSpan buffer, bool peek, std::size_t* datagram_size) = 0;
  // Offers the readable bytes in place, chunk by chunk; the visitor returns how
  // many it consumed and recv_visit stops at the first short count. Lets a
  // consumer (the fd-mode bridge) move bytes with no intermediate copy.
  // Returns the total consumed; 0 with eof means end of stream.
  virtual Result<std::size_t> recv_visit(const std::function<std::size_t(ByteSpan)>& visitor) = 0;
  virtual Result<std::size_t> send_to(ByteSpan data, const Endpoint& remote) = 0;
  virtual Result<std::size_t> recv_from(MutableByteSpan buffer, Endpoint& from, std::size_t* datagram_size) = 0;

  virtual Result<void> shutdown(bool read, bool write) = 0;
  // Graceful close (FIN; RST if unread data remains, as BSD does). The socket is
  // unusable afterwards; watchers are woken with hangup.
  virtual void close() noexcept = 0;
  // Hard close: RST.
  virtual void abort() noexcept = 0;

  virtual Result<void> set_option(Option option, int value) = 0;
  virtual Result<int> get_option(Option option) = 0;
  // The local endpoint; after the connection ended, the last one it had.
  virtual Result<Endpoint> local_endpoint() = 0;
  virtual Result<Endpoint> peer_endpoint() = 0;

  // Events bits currently true.
  [[nodiscard]] virtual std::uint32_t events() = 0;
  // The pending asynchronous error (refused connect, reset), cleared by reading.
  // Result<void> ok means none.
  virtual Result<void> take_error() = 0;
  // Wakers are told (wake()) on every readiness change until unwatched. The
  // Waker must outlive its registration.
  virtual void watch(Waker* waker) = 0;
  virtual void unwatch(Waker* waker) = 0;
};

// What a socket layer needs from a network stack.
class StackDriver {
 public:
  virtual ~StackDriver() = default;
  virtual Result<std::unique_ptr<Socket>> open(Transport transport, Family family) = 0;
  // Sends the acknowledgements held for a reader on the input thread
  // (Waker::on_input_thread) that no answer has carried yet. The socket layer
  // calls it before any of its threads sleeps: a thread that sleeps answers
  // nothing meanwhile.
  virtual void send_held_acks() noexcept {}
};

}  // namespace weft::stack
