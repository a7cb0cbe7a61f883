#include "tap/kernel_link.hpp"

#include <array>
#include <vector>

#include "wire/ethernet.hpp"
#include "wire/icmp_too_big.hpp"

namespace weft::tap {

namespace {
constexpr std::uint64_t kDeviceToken = 1;
// Batches read per wakeup before the thread waits again (level-triggered, so
// the wait returns at once while frames remain); going back to the wait lets a
// stop() be seen while the kernel keeps sending.
constexpr int kBatchesPerWakeup = 16;
// Ethernet header and one VLAN tag, plus the byte that tells a full slot
// (a frame possibly cut short) from a frame that fits.
constexpr std::size_t kSlotOverhead = 14 + 4 + 1;
}  // namespace

Result<std::unique_ptr<KernelLink>> KernelLink::create(osdep::LinuxTap device) {
  auto poller = osdep::Poller::create();
  if (!poller) return poller.error();
  WEFT_TRY(poller->add(device.fd(), kDeviceToken));
  return std::unique_ptr<KernelLink>(new KernelLink(std::move(device), std::move(*poller)));
}

KernelLink::~KernelLink() { stop(); }

Result<void> KernelLink::start(std::size_t mtu, FrameSink& network) {
  if (thread_.joinable()) return Error::invalid_state;
  WEFT_TRY(device_.set_mtu(mtu));
  WEFT_TRY(device_.set_up(true));
  const std::size_t slot = mtu + kSlotOverhead;
  thread_ = std::thread([this, &network, mtu, slot] { read_loop(network, mtu, slot); });
  return {};
}

void KernelLink::stop() noexcept {
  if (!thread_.joinable()) return;
  poller_.wake();
  thread_.join();
}

void KernelLink::send_frames(std::span<const ByteSpan> frames) {
  std::uint64_t sent = 0;
  for (const ByteSpan f : frames) {
    if (device_.write(f)) ++sent;
  }
  frames_to_kernel_.fetch_add(sent, std::memory_order_relaxed);
  write_dropped_.fetch_add(frames.size() - sent, std::memory_order_relaxed);
}

void KernelLink::read_loop(FrameSink& network, std::size_t mtu, std::size_t slot) {
  // The kernel copies each frame into a slot (the only copy here); the
  // network sink borrows them for the call.
  std::vector<std::byte> storage(kMaxBatch * slot);
  std::vector<std::byte> reply(wire::kTooBigReplyMax);
  std::array<ByteSpan, kMaxBatch> frames{};
  while (true) {
    std::array<std::uint64_t, 1> tokens{};
    auto ready = poller_.wait(tokens);
    if (!ready) {
      read_errors_.fetch_add(1, std::memory_order_relaxed);
      return;  // epoll fails only on a broken fd: nothing to wait for any more
    }
    if (ready->woken) return;
    for (int i = 0; i < kBatchesPerWakeup; ++i) {
      auto batch = device_.read_batch(storage, slot, frames);
      if (!batch) {
        read_errors_.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      if (batch->count == 0) break;
      // Frames that fit go on, in order; the others are answered or dropped.
      std::size_t kept = 0;
      for (std::size_t f = 0; f < batch->count; ++f) {
        const ByteSpan frame = frames[f];
        auto eth = wire::EthernetView::parse(frame);
        const std::size_t header = eth ? eth->header_len() : wire::EthernetView::kHeaderSize;
        if (frame.size() >= slot || frame.size() > mtu + header) {
          too_big(frame, mtu, reply);
        } else {
          frames[kept++] = frame;
        }
      }
      if (kept > 0) {
        frames_from_kernel_.fetch_add(kept, std::memory_order_relaxed);
        batches_from_kernel_.fetch_add(1, std::memory_order_relaxed);
        network.send_frames(std::span<const ByteSpan>(frames.data(), kept));
      }
      if (batch->count < kMaxBatch) break;
    }
  }
}

void KernelLink::too_big(ByteSpan frame, std::size_t mtu, MutableByteSpan reply) {
  const std::size_t n = wire::too_big_reply(frame, mtu, reply);
  if (n > 0 && device_.write(ByteSpan(reply).first(n))) {
    too_big_answered_.fetch_add(1, std::memory_order_relaxed);
  } else {
    oversized_dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

KernelLink::Stats KernelLink::stats() const noexcept {
  return {frames_to_kernel_.load(std::memory_order_relaxed),
          write_dropped_.load(std::memory_order_relaxed),
          frames_from_kernel_.load(std::memory_order_relaxed),
          batches_from_kernel_.load(std::memory_order_relaxed),
          oversized_dropped_.load(std::memory_order_relaxed),
          too_big_answered_.load(std::memory_order_relaxed),
          read_errors_.load(std::memory_order_relaxed)};
}

}  // namespace weft::tap
