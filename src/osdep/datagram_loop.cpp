#include "osdep/datagram_loop.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>

#include "osdep/errno_error.hpp"

namespace weft::osdep {

namespace {
constexpr std::uint64_t kSocketToken = 1;
constexpr std::uint64_t kTimerToken = 2;
// Datagrams read per wakeup before the handler's timers get their turn and a
// stop() can be seen, even under a sustained flood: 16 full batches. Counted
// in datagrams, not recvmmsg calls, since with GRO one call can carry
// thousands.
constexpr std::size_t kDatagramsPerWakeup = 16 * UdpSocket::kMaxBatch;
}  // namespace

// ---- Outbox

void Outbox::add(const Endpoint& to, ByteSpan datagram, Order order) {
  if (count_ == buffers_.size()) {
    buffers_.emplace_back();
    to_.emplace_back();
    order_.emplace_back();
  }
  buffers_[count_].assign(datagram.begin(), datagram.end());
  to_[count_] = to;
  order_[count_] = order;
  ++count_;
}

void Outbox::order_run(std::size_t begin, std::size_t end) {
  // Groups of kMaxOvertaken in_turn datagrams, each preceded by the may_lead
  // ones added before its last: a batch of two-fragment frames leaves as one
  // run of full-size first fragments and one of last fragments per group.
  spans_.clear();
  held_.clear();
  for (std::size_t k = begin; k < end; ++k) {
    if (order_[k] == Order::may_lead) {
      spans_.push_back(buffers_[k]);
      continue;
    }
    held_.push_back(buffers_[k]);
    if (held_.size() == kMaxOvertaken) {
      spans_.insert(spans_.end(), held_.begin(), held_.end());
      held_.clear();
    }
  }
  spans_.insert(spans_.end(), held_.begin(), held_.end());
}

namespace {

// Sends `rest` with `send` (which takes a prefix and returns how many it took)
// until all are sent or dropped. A datagram the kernel refuses as the first of
// a call (its own error, or a full buffer) is dropped and the rest go on, as a
// kernel dropping a UDP datagram would.
template <typename T, typename Send>
void send_all(std::span<const T> rest, Outbox::Flushed& f, Send send) noexcept {
  while (!rest.empty()) {
    const std::size_t n = send(rest).value_or(0);
    f.sent += n;
    if (n == 0) ++f.dropped;
    rest = rest.subspan(std::min(rest.size(), std::max<std::size_t>(n, 1)));
  }
}

}  // namespace

Outbox::Flushed Outbox::flush(UdpSocket& socket) noexcept {
  Flushed f;
  // Consecutive datagrams to one destination (a batch of frames to one peer,
  // its fragments) go as one burst: with UDP GSO the kernel carries each run
  // of equal-size datagrams as one message, which on the send side costs about
  // what one datagram does. The rest are gathered for sendmmsg. Without GSO a
  // burst saves nothing, so everything goes by sendmmsg.
  const bool bursts = socket.gso_enabled();
  items_.clear();
  auto send_items = [&] {
    send_all(std::span<const UdpSocket::SendItem>(items_), f,
             [&](auto rest) { return socket.send_batch(rest); });
    items_.clear();
  };
  for (std::size_t i = 0; i < count_;) {
    std::size_t end = i + 1;
    if (bursts) {
      while (end < count_ && to_[end] == to_[i]) ++end;
    }
    if (end - i == 1) {
      items_.push_back({buffers_[i], to_[i]});
    } else {
      send_items();  // keep the order in which the runs were added
      order_run(i, end);
      const Endpoint& to = to_[i];
      send_all(std::span<const ByteSpan>(spans_), f,
               [&](auto rest) { return socket.send_burst(to, rest); });
    }
    i = end;
  }
  send_items();
  count_ = 0;
  return f;
}

// ---- DatagramLoop

Result<std::unique_ptr<DatagramLoop>> DatagramLoop::open(const Endpoint& bind, Options options) {
  if (options.max_datagram == 0 || options.max_datagram > UdpSocket::kMaxGroBytes)
    return Error::invalid_argument;
  auto socket = UdpSocket::bind(bind, options.socket);
  if (!socket) return socket.error();
  auto poller = Poller::create();
  if (!poller) return poller.error();
  WEFT_TRY(poller->add(socket->fd(), kSocketToken));
  UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer) return from_errno(errno);
  WEFT_TRY(poller->add(timer.get(), kTimerToken));
  return std::unique_ptr<DatagramLoop>(
      new DatagramLoop(std::move(*socket), std::move(*poller), std::move(timer), options));
}

DatagramLoop::DatagramLoop(UdpSocket socket, Poller poller, UniqueFd timer,
                           Options options) noexcept
    : socket_(std::move(socket)),
      poller_(std::move(poller)),
      timer_(std::move(timer)),
      options_(options) {}

DatagramLoop::~DatagramLoop() { stop(); }

Result<void> DatagramLoop::start(DatagramHandler& handler, const Clock& clock) {
  if (thread_.joinable() || stopping_.load()) return Error::invalid_state;
  // One buffer per slot: the kernel's copy into them is the only one the loop
  // makes; the handler borrows them. A slot takes one datagram (the kernel
  // flags a longer one as truncated), or with GRO a coalesced run.
  const std::size_t slot = socket_.gro_enabled() ? UdpSocket::kMaxGroBytes : options_.max_datagram;
  {
    std::lock_guard lock(handling_);
    storage_.reset(new std::byte[UdpSocket::kMaxBatch * slot]);  // NOLINT: left uninitialised
    slots_.resize(UdpSocket::kMaxBatch);
    for (std::size_t i = 0; i < slots_.size(); ++i)
      slots_[i].buffer = MutableByteSpan(storage_.get() + i * slot, slot);
    batch_.reserve(socket_.gro_enabled() ? UdpSocket::kMaxBatch * 64 : UdpSocket::kMaxBatch);
    handler_ = &handler;
    clock_ = &clock;
  }
  thread_ = std::thread([this] { run(); });
  return {};
}

void DatagramLoop::stop() noexcept {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  poller_.wake();
  thread_.join();
  // A pump() that began before stopping_ was set finishes before this returns.
  std::lock_guard lock(handling_);
}

void DatagramLoop::pump() noexcept {
  std::lock_guard lock(handling_);
  if (handler_ == nullptr || stopping_.load()) return;
  const std::uint64_t batches = batches_.load(std::memory_order_relaxed);
  receive_some();
  batches_pumped_.fetch_add(batches_.load(std::memory_order_relaxed) - batches,
                            std::memory_order_relaxed);
  arm(handler_->on_tick(clock_->now()));
}

void DatagramLoop::mute(bool muted) noexcept {
  // Fails only for a closed fd, and the socket lives as long as the loop.
  (void)poller_.mute(socket_.fd(), kSocketToken, muted);
}

void DatagramLoop::arm(Instant deadline) noexcept {
  if (deadline == armed_) return;
  armed_ = deadline;
  itimerspec spec{};  // zero: disarmed
  if (deadline != Instant::max()) {
    // Relative, so the handler's clock need not be the timer's; at least 1 ns,
    // since zero would disarm it.
    const auto left = std::max(deadline - clock_->now(), Duration(1));
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(left);
    spec.it_value.tv_sec = static_cast<time_t>(s.count());
    spec.it_value.tv_nsec = static_cast<long>((left - s).count());
  }
  // Fails only for a bad fd or value, neither of which this passes.
  (void)::timerfd_settime(timer_.get(), 0, &spec, nullptr);
}

void DatagramLoop::run() {
  bool readable = false;  // the first pass only ticks
  bool fired = false;
  while (true) {
    {
      std::lock_guard lock(handling_);
      if (fired) {
        std::uint64_t expirations = 0;
        (void)!::read(timer_.get(), &expirations, sizeof expirations);
        armed_ = Instant::max();  // so the same deadline arms it again
      }
      if (readable) receive_some();
      arm(handler_->on_tick(clock_->now()));
    }
    std::array<std::uint64_t, 2> tokens{};
    auto ready = poller_.wait(tokens);
    if (!ready) {
      // epoll_wait fails only on a broken fd: nothing to wait for any more.
      errors_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    if (ready->woken && stopping_.load()) return;
    const auto got = std::span(tokens).first(ready->count);
    readable = std::find(got.begin(), got.end(), kSocketToken) != got.end();
    fired = std::find(got.begin(), got.end(), kTimerToken) != got.end();
  }
}

void DatagramLoop::receive_some() {
  std::size_t read = 0;
  while (read < kDatagramsPerWakeup) {
    const std::size_t n = receive_batch();
    if (n == 0) break;
    read += n;
  }
}

// Returns how many datagrams the socket gave (0 when the last call found the
// socket drained or gave a partial batch, so nothing more is waiting).
std::size_t DatagramLoop::receive_batch() {
  auto got = socket_.recv_batch(slots_);
  if (!got) {
    if (got.error() != Error::would_block) errors_.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  batch_.clear();
  std::size_t datagrams = 0;
  for (std::size_t i = 0; i < *got; ++i) {
    const auto& s = slots_[i];
    if (s.truncated) {
      oversized_.fetch_add(1, std::memory_order_relaxed);
      ++datagrams;
      continue;
    }
    const std::size_t n = s.segments();
    datagrams += n;
    for (std::size_t k = 0; k < n; ++k) {
      const ByteSpan d = s.segment(k);
      if (d.size() > options_.max_datagram) {
        oversized_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      batch_.push_back({d, s.from});
    }
  }
  if (!batch_.empty()) {
    datagrams_.fetch_add(batch_.size(), std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
    // At most kMaxBatch per call, GRO or not, so a handler that holds a lock
    // while it processes a batch holds it no longer than before GRO.
    const std::span<const Datagram> all(batch_);
    for (std::size_t off = 0; off < all.size(); off += UdpSocket::kMaxBatch)
      handler_->on_datagrams(clock_->now(),
                             all.subspan(off, std::min(UdpSocket::kMaxBatch, all.size() - off)));
  }
  return *got == slots_.size() ? datagrams : 0;
}

DatagramLoop::Stats DatagramLoop::stats() const noexcept {
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(datagrams_), get(batches_), get(oversized_),
          get(errors_),    get(wakeups_), get(batches_pumped_)};
}

}  // namespace weft::osdep
