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
  tap_ = &tap;
  max_frame_ = tap.mtu() + Tap::kEthernetHeader;
  // One buffer per slot, one slot per datagram (or, with GRO, per coalesced
  // run): copy 1 (kernel -> these buffers) is the only copy the link makes;
  // tap.put borrows them.
  const std::size_t slot_bytes =
      socket_.gro_enabled() ? osdep::UdpSocket::kMaxGroBytes : max_frame_;
  storage_.resize(osdep::UdpSocket::kMaxBatch * slot_bytes);
  slots_.resize(osdep::UdpSocket::kMaxBatch);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].buffer = std::span(storage_).subspan(i * slot_bytes, slot_bytes);
  }
  frames_.reserve(osdep::UdpSocket::kMaxBatch);
  thread_ = std::thread([this] { receive_loop(); });
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

void DevLink::pump() noexcept {
  // Waits for a receiving thread rather than leaving what waits to it: that
  // thread may already have read its last batch (and be deferring now).
  std::lock_guard lock(receiving_);
  receive_some();
}

void DevLink::defer(bool deferring) noexcept {
  // Fails only for a closed fd, and the socket lives as long as the link.
  (void)poller_.mute(socket_.fd(), kSocketToken, deferring);
}

void DevLink::receive_loop() {
  while (true) {
    std::array<std::uint64_t, 1> tokens{};
    auto ready = poller_.wait(tokens);
    if (!ready) {
      // epoll_wait fails only on a broken fd: nothing to wait for any more.
      receive_errors_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (ready->woken) return;
    std::lock_guard lock(receiving_);
    receive_some();
  }
}

void DevLink::receive_some() {
  for (int i = 0; i < kBatchesPerWakeup; ++i) {
    if (!receive_batch()) break;
  }
}

// Returns whether a full batch was read (so more may be waiting).
bool DevLink::receive_batch() {
  auto got = socket_.recv_batch(slots_);
  if (!got) {
    if (got.error() != Error::would_block) receive_errors_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  frames_.clear();
  for (std::size_t i = 0; i < *got; ++i) {
    const auto& s = slots_[i];
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
      if (f.size() > max_frame_) {
        truncated_dropped_.fetch_add(1, std::memory_order_relaxed);
      } else {
        frames_.push_back(f);
      }
    }
  }
  if (!frames_.empty()) {
    tap_->put(frames_);
    frames_received_.fetch_add(frames_.size(), std::memory_order_relaxed);
    batches_received_.fetch_add(1, std::memory_order_relaxed);
  }
  return *got == slots_.size();
}

DevLink::Stats DevLink::stats() const noexcept {
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(frames_sent_),   get(frames_received_), get(batches_received_),
          get(send_dropped_),  get(foreign_dropped_), get(truncated_dropped_),
          get(receive_errors_)};
}

}  // namespace weft::tap
