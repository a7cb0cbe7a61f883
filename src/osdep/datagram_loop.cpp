#include "osdep/datagram_loop.hpp"

#include <algorithm>
#include <array>

namespace weft::osdep {

namespace {
constexpr std::uint64_t kSocketToken = 1;
// Batches read per wakeup before the handler's timers get their turn and a
// stop() can be seen, even under a sustained flood.
constexpr int kBatchesPerWakeup = 16;
}  // namespace

// ---- Outbox

void Outbox::add(const Endpoint& to, ByteSpan datagram) {
  if (count_ == buffers_.size()) {
    buffers_.emplace_back();
    to_.emplace_back();
  }
  buffers_[count_].assign(datagram.begin(), datagram.end());
  to_[count_] = to;
  ++count_;
}

Outbox::Flushed Outbox::flush(UdpSocket& socket) noexcept {
  Flushed f;
  items_.clear();
  for (std::size_t i = 0; i < count_; ++i) items_.push_back({buffers_[i], to_[i]});
  std::span<const UdpSocket::SendItem> rest(items_);
  while (!rest.empty()) {
    auto sent = socket.send_batch(rest);
    // The first datagram was refused (its own error, or a full buffer): drop
    // it and go on with the rest, as a kernel dropping a UDP datagram would.
    const std::size_t n = sent ? *sent : 0;
    f.sent += n;
    const std::size_t skip = std::min(rest.size(), n == 0 ? std::size_t{1} : n);
    if (n == 0) ++f.dropped;
    rest = rest.subspan(skip);
  }
  count_ = 0;
  return f;
}

// ---- DatagramLoop

Result<std::unique_ptr<DatagramLoop>> DatagramLoop::open(const Endpoint& bind, Options options) {
  // Every slot holds one datagram: GRO would coalesce runs into buffers far
  // larger than a datagram, so it stays off here.
  options.socket.gro = false;
  if (options.max_datagram == 0 || options.max_datagram > UdpSocket::kMaxGroBytes)
    return Error::invalid_argument;
  auto socket = UdpSocket::bind(bind, options.socket);
  if (!socket) return socket.error();
  auto poller = Poller::create();
  if (!poller) return poller.error();
  WEFT_TRY(poller->add(socket->fd(), kSocketToken));
  return std::unique_ptr<DatagramLoop>(
      new DatagramLoop(std::move(*socket), std::move(*poller), options));
}

DatagramLoop::DatagramLoop(UdpSocket socket, Poller poller, Options options) noexcept
    : socket_(std::move(socket)), poller_(std::move(poller)), options_(options) {}

DatagramLoop::~DatagramLoop() { stop(); }

Result<void> DatagramLoop::start(DatagramHandler& handler, const Clock& clock) {
  if (thread_.joinable() || stopping_.load()) return Error::invalid_state;
  // One buffer per slot: the kernel's copy into them is the only one the loop
  // makes; the handler borrows them.
  storage_.resize(UdpSocket::kMaxBatch * options_.max_datagram);
  slots_.resize(UdpSocket::kMaxBatch);
  for (std::size_t i = 0; i < slots_.size(); ++i)
    slots_[i].buffer =
        std::span(storage_).subspan(i * options_.max_datagram, options_.max_datagram);
  batch_.reserve(UdpSocket::kMaxBatch);
  thread_ = std::thread([this, &handler, &clock] { run(handler, clock); });
  return {};
}

void DatagramLoop::stop() noexcept {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  poller_.wake();
  thread_.join();
}

void DatagramLoop::run(DatagramHandler& handler, const Clock& clock) {
  Instant deadline = handler.on_tick(clock.now());
  while (true) {
    std::array<std::uint64_t, 1> tokens{};
    const Instant now = clock.now();
    auto ready = poller_.wait(tokens, std::max(deadline - now, Duration::zero()));
    if (!ready) {
      // epoll_wait fails only on a broken fd: nothing to wait for any more.
      errors_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    if (ready->woken && stopping_.load()) return;
    if (ready->count > 0) {
      for (int i = 0; i < kBatchesPerWakeup; ++i) {
        if (!receive_batch(handler, clock)) break;
      }
    }
    deadline = handler.on_tick(clock.now());
  }
}

// Returns whether a full batch was read (so more may be waiting).
bool DatagramLoop::receive_batch(DatagramHandler& handler, const Clock& clock) {
  auto got = socket_.recv_batch(slots_);
  if (!got) {
    if (got.error() != Error::would_block) errors_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  batch_.clear();
  for (std::size_t i = 0; i < *got; ++i) {
    const auto& s = slots_[i];
    if (s.truncated) {
      oversized_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    batch_.push_back({ByteSpan(s.buffer).first(s.size), s.from});
  }
  if (!batch_.empty()) {
    datagrams_.fetch_add(batch_.size(), std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
    handler.on_datagrams(clock.now(), batch_);
  }
  return *got == slots_.size();
}

DatagramLoop::Stats DatagramLoop::stats() const noexcept {
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(datagrams_), get(batches_), get(oversized_), get(errors_), get(wakeups_)};
}

}  // namespace weft::osdep
