#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/bytes.hpp"
#include "base/mac.hpp"
#include "tap/frame_sink.hpp"

namespace weft::tap {

// The virtual Ethernet port between a network (the overlay, or a dev link) and a
// network stack, as in the seed's tap service:
//   inward:  the network calls put(frames)      -> the stack's sink
//   outward: the stack calls transmit(frames)  -> the network's sink
// Both sinks are attached before traffic starts and outlive the tap's use.
// put() and transmit() may be called from different threads; the counters are
// atomic, everything else is fixed after attach.
class Tap {
 public:
  static constexpr std::size_t kEthernetHeader = 14;
  static constexpr std::size_t kMaxMtu = 65'535 - kEthernetHeader;

  struct Stats {
    std::uint64_t frames_in;
    std::uint64_t frames_out;
    std::uint64_t dropped_runt;        // shorter than an Ethernet header
    std::uint64_t dropped_oversize;    // longer than the MTU plus the header
    std::uint64_t dropped_unattached;  // no sink on that side yet
  };

  // mtu: the largest IP packet (Ethernet payload) the link carries.
  // unfragmented_mtu: the largest that crosses it as one datagram of the network
  // below (0 or above mtu: mtu). An encrypted overlay carries a frame larger than
  // its path MTU as fragments, each sealed, sent and reassembled on its own; a
  // stack that can choose its packet size (TCP's segments) keeps under this.
  Tap(Mac mac, std::size_t mtu, std::size_t unfragmented_mtu = 0) noexcept;

  void attach_stack(FrameSink* inward) noexcept { stack_ = inward; }
  void attach_network(FrameSink* outward) noexcept { network_ = outward; }

  // Network -> stack. Runt and oversized frames are dropped and counted; the
  // rest are handed to the stack's sink in one batch.
  void put(std::span<const ByteSpan> frames);
  // Stack -> network, with the same checks.
  void transmit(std::span<const ByteSpan> frames);

  [[nodiscard]] Mac mac() const noexcept { return mac_; }
  [[nodiscard]] std::size_t mtu() const noexcept { return mtu_; }
  [[nodiscard]] std::size_t unfragmented_mtu() const noexcept { return unfragmented_mtu_; }
  [[nodiscard]] Stats stats() const noexcept;

 private:
  struct Counters {
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> runt{0};
    std::atomic<std::uint64_t> oversize{0};
    std::atomic<std::uint64_t> unattached{0};
  };
  void forward(std::span<const ByteSpan> frames, FrameSink* sink, Counters& counters);

  Mac mac_;
  std::size_t mtu_;
  std::size_t unfragmented_mtu_;
  FrameSink* stack_{nullptr};
  FrameSink* network_{nullptr};
  Counters in_;
  Counters out_;
};

}  // namespace weft::tap
