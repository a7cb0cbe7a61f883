#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "osdep/endpoint.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::osdep {

// A non-blocking UDP socket (IPv4 or IPv6) with batched I/O: recvmmsg into
// caller-owned buffers, sendmmsg to per-datagram destinations, and UDP GSO
// (one UDP_SEGMENT message carries many equal-size datagrams to one peer)
// where the kernel accepts it, with a transparent fallback to plain sendmmsg,
// and optionally UDP GRO on receive (the kernel hands over runs of equal-size
// datagrams from one sender as one buffer; RecvSlot::segment() splits them).
//
// One thread may receive while another sends. Two threads sending at once is
// safe for the kernel but their datagrams interleave.
class UdpSocket {
 public:
  // The most datagrams (or GSO messages) one system call carries; larger
  // batches take several calls.
  static constexpr std::size_t kMaxBatch = 64;

  struct Options {
    // SO_RCVBUF/SO_SNDBUF request, sized for bursts. The kernel caps it at
    // net.core.rmem_max/wmem_max unless we may force it (CAP_NET_ADMIN); the
    // capped size is used, and reported by buffer_sizes().
    std::size_t buffer_bytes{4U << 20U};
    // Use UDP GSO when the kernel supports it (probed at bind).
    bool gso{true};
    // Ask for UDP GRO (off unless the kernel accepts UDP_GRO). With GRO on,
    // every receive buffer must hold kMaxGroBytes.
    bool gro{false};
  };

  // The largest buffer GRO coalesces into (an IP datagram's payload).
  static constexpr std::size_t kMaxGroBytes = 65'535;

  // One receive slot: `buffer` is filled in by the caller; the rest by recv_batch.
  struct RecvSlot {
    MutableByteSpan buffer;
    std::size_t size{0};  // bytes stored in buffer
    Endpoint from;
    bool truncated{false};  // the datagram was larger than buffer; only its start was kept
    // With GRO: the datagrams' size when the kernel coalesced several into
    // buffer (the last may be shorter); 0 when buffer holds one datagram.
    std::size_t segment_size{0};

    // The datagrams in buffer: one, or size / segment_size rounded up.
    [[nodiscard]] std::size_t segments() const noexcept {
      return segment_size == 0 || size == 0 ? 1 : (size + segment_size - 1) / segment_size;
    }
    [[nodiscard]] ByteSpan segment(std::size_t i) const noexcept {
      if (segment_size == 0) return ByteSpan(buffer).first(size);
      const std::size_t off = std::min(i * segment_size, size);
      return ByteSpan(buffer).subspan(off, std::min(segment_size, size - off));
    }
  };

  struct SendItem {
    ByteSpan data;
    Endpoint to;
  };

  struct Stats {
    std::uint64_t send_calls;    // sendmmsg system calls
    std::uint64_t gso_messages;  // messages that carried UDP_SEGMENT
    std::uint64_t gso_refused;   // times the kernel refused GSO (then disabled)
    std::uint64_t recv_calls;    // recvmmsg system calls
  };

  struct BufferSizes {
    std::size_t receive;  // as getsockopt reports (the kernel doubles the request)
    std::size_t send;
  };

  // Binds to `local` (port 0 picks a free port; local() tells which).
  static Result<UdpSocket> bind(const Endpoint& local, Options options) noexcept;
  static Result<UdpSocket> bind(const Endpoint& local) noexcept { return bind(local, Options{}); }

  UdpSocket(UdpSocket&& o) noexcept;
  UdpSocket& operator=(UdpSocket&&) = delete;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket() = default;

  [[nodiscard]] const Endpoint& local() const noexcept { return local_; }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  [[nodiscard]] BufferSizes buffer_sizes() const noexcept;

  // Receives up to min(slots.size(), kMaxBatch) waiting datagrams (or, with
  // GRO, coalesced runs of datagrams): one recvmmsg for a few, two when more
  // than the first offer (8) were waiting. Returns how many
  // slots were filled; Error::would_block if none was waiting;
  // Error::invalid_argument if GRO is on and a buffer is under kMaxGroBytes.
  Result<std::size_t> recv_batch(std::span<RecvSlot> slots) noexcept;

  // Sends each item to its own destination with sendmmsg. Returns how many
  // items, from the front, the kernel took; stops at the first it would not
  // take (Error::would_block, or that datagram's error, when it is the first).
  Result<std::size_t> send_batch(std::span<const SendItem> items) noexcept;

  // Sends a burst to one destination. Runs of equal-size datagrams (the last
  // of a run may be shorter) go as single GSO messages when GSO is on, all
  // messages of up to kMaxBatch datagrams in one sendmmsg. If the kernel
  // refuses GSO, it is switched off for this socket and the burst is resent
  // without it. Same result as send_batch.
  Result<std::size_t> send_burst(const Endpoint& to, std::span<const ByteSpan> datagrams) noexcept;

  [[nodiscard]] bool gso_enabled() const noexcept { return gso_.load(std::memory_order_relaxed); }
  void disable_gso() noexcept { gso_.store(false, std::memory_order_relaxed); }
  [[nodiscard]] bool gro_enabled() const noexcept { return gro_; }
  [[nodiscard]] Stats stats() const noexcept;

 private:
  UdpSocket(UniqueFd fd, Endpoint local, bool gso, bool gro) noexcept
      : fd_(std::move(fd)), local_(local), gso_(gso), gro_(gro) {}
  Result<std::size_t> send_chunk(const Endpoint& to, std::span<const ByteSpan> datagrams,
                                 bool use_gso) noexcept;

  UniqueFd fd_;
  Endpoint local_;
  std::atomic<bool> gso_;
  bool gro_;
  std::atomic<std::uint64_t> send_calls_{0};
  std::atomic<std::uint64_t> gso_messages_{0};
  std::atomic<std::uint64_t> gso_refused_{0};
  std::atomic<std::uint64_t> recv_calls_{0};
};

}  // namespace weft::osdep
