#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "osdep/linux_tap.hpp"
#include "osdep/poller.hpp"
#include "tap/frame_sink.hpp"

namespace weft::tap {

// The Linux kernel's TCP/IP stack as the stack side of a network: frames
// between a network (a FrameSink, e.g. a node's network port) and a kernel TAP
// device (osdep::LinuxTap).
//
// Toward the kernel, it is a FrameSink: send_frames writes each frame into the
// device (the kernel takes it as received; one write per frame, as TAP has no
// batched write). From the kernel, it owns one reader thread that sleeps in a
// Poller until the device is readable, reads up to kMaxBatch frames without
// waiting and hands them to the network sink in one call per batch.
//
// The kernel may send IP packets larger than the network's MTU (its device
// given a larger MTU by an administrator, `ip link set mtu 9000`): those never
// enter the network. An IPv4 packet with DF and any IPv6 packet is answered
// on the device, as a router would, with ICMP "fragmentation needed" / ICMPv6
// "packet too big" carrying the network's MTU (wire/icmp_too_big.hpp), so the
// kernel's path MTU to that destination drops and it sends smaller packets;
// others (IPv4 without DF) are dropped and counted. TCP never needs it: each
// side's MSS option already keeps segments within the other's MTU.
// stop() (or the destructor) wakes that thread and joins it; the device is
// removed when this object (which owns it) is destroyed.
class KernelLink final : public FrameSink {
 public:
  static constexpr std::size_t kMaxBatch = 64;

  struct Stats {
    std::uint64_t frames_to_kernel;
    std::uint64_t write_dropped;  // the kernel refused them (queue full, device down)
    std::uint64_t frames_from_kernel;
    std::uint64_t batches_from_kernel;
    std::uint64_t oversized_dropped;  // larger than the MTU, and not answered
    std::uint64_t too_big_answered;   // larger than the MTU: ICMP "too big" sent back
    std::uint64_t read_errors;
  };

  static Result<std::unique_ptr<KernelLink>> create(osdep::LinuxTap device);
  ~KernelLink() override;
  KernelLink(const KernelLink&) = delete;
  KernelLink& operator=(const KernelLink&) = delete;

  // Configuration (MAC, addresses) before and after start; not while another
  // thread configures it.
  [[nodiscard]] osdep::LinuxTap& device() noexcept { return device_; }

  // Sets the device's MTU, brings it up and starts the reader thread feeding
  // `network` (which must outlive the thread, i.e. stop()). Once.
  Result<void> start(std::size_t mtu, FrameSink& network);
  // Wakes and joins the reader thread. Idempotent.
  void stop() noexcept;

  // To the kernel. Frames it does not take are dropped and counted, as a full
  // Ethernet queue would drop them.
  void send_frames(std::span<const ByteSpan> frames) override;

  [[nodiscard]] Stats stats() const noexcept;

 private:
  KernelLink(osdep::LinuxTap device, osdep::Poller poller) noexcept
      : device_(std::move(device)), poller_(std::move(poller)) {}
  void read_loop(FrameSink& network, std::size_t mtu, std::size_t slot);
  // A frame too large for the network: answered (too_big_answered) or dropped.
  void too_big(ByteSpan frame, std::size_t mtu, MutableByteSpan reply);

  osdep::LinuxTap device_;
  osdep::Poller poller_;
  std::thread thread_;

  std::atomic<std::uint64_t> frames_to_kernel_{0};
  std::atomic<std::uint64_t> write_dropped_{0};
  std::atomic<std::uint64_t> frames_from_kernel_{0};
  std::atomic<std::uint64_t> batches_from_kernel_{0};
  std::atomic<std::uint64_t> oversized_dropped_{0};
  std::atomic<std::uint64_t> too_big_answered_{0};
  std::atomic<std::uint64_t> read_errors_{0};
};

}  // namespace weft::tap
