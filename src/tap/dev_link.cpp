#include "tap/dev_link.hpp"

#include <array>

namespace weft::tap {

namespace {
constexpr std::uint64_t kSocketToken = 1;
// Batches read per wakeup before the thread waits again. The socket is
// level-triggered, so the wait returns at once while data remains; going back
// to it lets a stop() be seen under a sustained flood.
constexpr int kBatchesPerWakeup = 16;
}  // namespace

Result<std::unique_ptr<DevLink>> DevLink::open(const osdep::Endpoint& bind,
                                               osdep::UdpSocket::Options options) {
  auto socket = osdep::UdpSocket::bind(bind, options);
  if (!socket) return socket.error();
  auto poller = osdep::Poller::create();
  if (!poller) return poller.error();
  WEFT_TRY(poller->add(socket->fd(), kSocketToken));
  return std::unique_ptr<DevLink>(new DevLink(std::move(*socket), std::move(*poller)));
}

DevLink::~DevLink() { stop(); }

Result<void> DevLink::start(const osdep::Endpoint& peer, Tap& tap) {
  if (thread_.joinable() || peer_) return Error::invalid_state;
  if (peer.is_v4() != local().is_v4()) return Error::invalid_argument;
  peer_ = peer;
  const std::size_t max_frame = tap.mtu() + Tap::kEthernetHeader;
  thread_ = std::thread([this, &tap, max_frame] { receive_loop(tap, max_frame); });
  return {};
}

void DevLink::stop() noexcept {
  if (!thread_.joinable()) return;
  poller_.wake();
  thread_.join();
}

void DevLink::send_frames(std::span<const ByteSpan> frames) {
  if (frames.empty()) return;
  if (!peer_) {
    send_dropped_.fetch_add(frames.size(), std::memory_order_relaxed);
    return;
  }
  auto sent = socket_.send_burst(*peer_, frames);
  const std::size_t n = sent.value_or(0);
  frames_sent_.fetch_add(n, std::memory_order_relaxed);
  send_dropped_.fetch_add(frames.size() - n, std::memory_order_relaxed);
}

void DevLink::receive_loop(Tap& tap, std::size_t max_frame) {
  // One buffer per slot, one slot per datagram (or, with GRO, per coalesced
  // run): copy 1 (kernel -> these buffers) is the only copy the link makes;
  // tap.put borrows them.
  const std::size_t slot_bytes = socket_.gro_enabled() ? osdep::UdpSocket::kMaxGroBytes : max_frame;
  std::vector<std::byte> storage(osdep::UdpSocket::kMaxBatch * slot_bytes);
  std::vector<osdep::UdpSocket::RecvSlot> slots(osdep::UdpSocket::kMaxBatch);
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i].buffer = std::span(storage).subspan(i * slot_bytes, slot_bytes);
  }
  std::vector<ByteSpan> frames;
  frames.reserve(osdep::UdpSocket::kMaxBatch);
  while (true) {
    std::array<std::uint64_t, 1> tokens{};
    auto ready = poller_.wait(tokens);
    if (!ready) {
      // epoll_wait fails only on a broken fd: nothing to wait for any more.
      receive_errors_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (ready->woken) return;
    for (int i = 0; i < kBatchesPerWakeup; ++i) {
      if (!receive_batch(tap, slots, frames, max_frame)) break;
    }
  }
}

// Returns whether a full batch was read (so more may be waiting).
bool DevLink::receive_batch(Tap& tap, std::vector<osdep::UdpSocket::RecvSlot>& slots,
                            std::vector<ByteSpan>& frames, std::size_t max_frame) {
  auto got = socket_.recv_batch(slots);
  if (!got) {
    if (got.error() != Error::would_block) receive_errors_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  frames.clear();
  for (std::size_t i = 0; i < *got; ++i) {
    const auto& s = slots[i];
    if (s.from != *peer_) {
      foreign_dropped_.fetch_add(s.segments(), std::memory_order_relaxed);
      continue;
    }
    if (s.truncated) {
      truncated_dropped_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    for (std::size_t k = 0; k < s.segments(); ++k) {
      const ByteSpan f = s.segment(k);
      if (f.size() > max_frame) {
        truncated_dropped_.fetch_add(1, std::memory_order_relaxed);
      } else {
        frames.push_back(f);
      }
    }
  }
  if (!frames.empty()) {
    tap.put(frames);
    frames_received_.fetch_add(frames.size(), std::memory_order_relaxed);
    batches_received_.fetch_add(1, std::memory_order_relaxed);
  }
  return *got == slots.size();
}

DevLink::Stats DevLink::stats() const noexcept {
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(frames_sent_),   get(frames_received_), get(batches_received_),
          get(send_dropped_),  get(foreign_dropped_), get(truncated_dropped_),
          get(receive_errors_)};
}

}  // namespace weft::tap
