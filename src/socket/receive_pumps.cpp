#include "socket/receive_pumps.hpp"

#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <shared_mutex>

#include "socket/pumping_waker.hpp"

namespace weft::socket {

using Clock = std::chrono::steady_clock;

// What ReceivePumps shares with the threads that claimed there.
struct ReceivePumps::Shared {
  // Lock order: receiver_mu, then mu.
  std::shared_mutex mu;
  // Changed under both receiver_mu and mu (add, remove), so either suffices
  // to read it.
  std::vector<tap::ReceivePump*> pumps;
  std::mutex receiver_mu;
  // The receiving thread (its ThreadReceiver; compared, never followed), null
  // when the links' own threads receive. Guarded by receiver_mu.
  const void* receiver{nullptr};
  // The receiver's waker while it waits, null while it lingers. Set under
  // receiver_mu, which also keeps the waker alive while claim() wakes it.
  std::atomic<PumpingWaker*> waiting{nullptr};
  // Receivers a later claim took over from while they waited, and their
  // threads, the latest last: when a receiver stops, the latest of these that
  // still waits receives again, rather than the links' threads receiving and
  // handing over (a thread per connection exits while its acceptor waits).
  // Guarded by receiver_mu; a waker leaves it on leave().
  struct Displaced {
    PumpingWaker* waker;
    const void* thread;
  };
  std::vector<Displaced> displaced;
  // Waits the receivers left, and how many when the timer was armed: the
  // timer, not every call, finds out whether the receiver left again (a
  // clock read per call showed in the round trip's profile).
  std::uint64_t leaves{0};
  std::uint64_t leaves_when_armed{0};
  bool timer_armed{false};
  int forbidden{0};          // forbid_lingering count
  Clock::duration linger{};  // fixed at construction
  osdep::UniqueFd timer;     // timerfd (CLOCK_MONOTONIC), -1: no lingering

  // The rest: receiver_mu held.
  [[nodiscard]] bool lingers() const {
    return receiver != nullptr && waiting.load(std::memory_order_relaxed) == nullptr;
  }
  void defer_all(bool deferring) {
    std::shared_lock lock(mu);
    for (tap::ReceivePump* p : pumps) p->defer(deferring);
  }
  // The receiver stops: the latest displaced waiter takes over (woken, so
  // it waits for the links again; they go on deferring), or the links'
  // threads receive again.
  void release() {
    if (!displaced.empty()) {
      const Displaced next = displaced.back();
      displaced.pop_back();
      receiver = next.thread;
      waiting.store(next.waker, std::memory_order_release);
      next.waker->wake();
      return;
    }
    receiver = nullptr;
    waiting.store(nullptr, std::memory_order_release);
    defer_all(false);
  }
  // Fires `linger` from now.
  bool arm() {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(linger);
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(ns.count() / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns.count() % 1'000'000'000);
    timer_armed = ::timerfd_settime(timer.get(), 0, &spec, nullptr) == 0;
    leaves_when_armed = leaves;
    return timer_armed;
  }
  // The thread whose ThreadReceiver is `thread` exits (takes receiver_mu).
  void thread_exits(const void* thread) {
    std::lock_guard lock(receiver_mu);
    if (receiver == thread) release();
  }
};

namespace {

// Per thread that ever claimed: where it may still be lingering, so its exit
// can end that (a thread per connection would otherwise leave the next
// connection's SYN waiting for the timer).
class ThreadReceiver {
 public:
  ThreadReceiver() = default;
  ThreadReceiver(const ThreadReceiver&) = delete;
  ThreadReceiver& operator=(const ThreadReceiver&) = delete;
  ~ThreadReceiver() {
    for (auto& s : claimed_) s->thread_exits(this);
  }
  void claimed(const std::shared_ptr<ReceivePumps::Shared>& s) {
    if (std::find(claimed_.begin(), claimed_.end(), s) != claimed_.end()) return;
    // Tables that are gone (only this holds them) no longer need the exit.
    std::erase_if(claimed_, [](const auto& c) { return c.use_count() == 1; });
    claimed_.push_back(s);
  }

 private:
  std::vector<std::shared_ptr<ReceivePumps::Shared>> claimed_;
};

ThreadReceiver& this_thread_receiver() {
  thread_local ThreadReceiver r;
  return r;
}

}  // namespace

ReceivePumps::ReceivePumps(std::chrono::microseconds linger) : shared_(std::make_shared<Shared>()) {
  shared_->linger = linger;
}

void ReceivePumps::start_timer() {
  if (timer_thread_.joinable() || shared_->linger <= Clock::duration::zero()) return;
  osdep::UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  osdep::UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  // Without either fd nobody could end a lingering: receivers then leave at once.
  if (!timer || !stop) return;
  stop_ = std::move(stop);
  {
    std::lock_guard lock(shared_->receiver_mu);
    shared_->timer = std::move(timer);
  }
  timer_thread_ = std::thread([this] { run_timer(); });
}

void ReceivePumps::stop_timer() {
  if (!timer_thread_.joinable()) return;
  const std::uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof one);
  timer_thread_.join();
  stop_.reset();
  Shared& s = *shared_;
  std::lock_guard lock(s.receiver_mu);
  if (s.lingers()) s.release();  // nobody would end it now
  s.timer.reset();
  s.timer_armed = false;
}

ReceivePumps::~ReceivePumps() { stop_timer(); }

void ReceivePumps::run_timer() {
  std::array<pollfd, 2> fds{pollfd{shared_->timer.get(), POLLIN, 0},
                            pollfd{stop_.get(), POLLIN, 0}};
  while (true) {
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    std::uint64_t expirations = 0;
    (void)!::read(fds[0].fd, &expirations, sizeof expirations);
    Shared& s = *shared_;
    std::lock_guard lock(s.receiver_mu);
    s.timer_armed = false;
    if (!s.lingers()) continue;
    // Left again since the timer was armed: another period, so a receiver
    // lingers between one and two of them after its last call.
    if (s.leaves != s.leaves_when_armed && s.arm()) continue;
    s.release();
  }
}

void ReceivePumps::add(tap::ReceivePump& pump) {
  std::lock_guard timer(timer_mu_);
  // Only a table with links has receivers that linger.
  start_timer();
  std::lock_guard receiver(shared_->receiver_mu);
  std::unique_lock lock(shared_->mu);
  shared_->pumps.push_back(&pump);
  if (shared_->receiver != nullptr) pump.defer(true);
}

void ReceivePumps::remove(tap::ReceivePump& pump) {
  std::lock_guard timer(timer_mu_);
  bool last = false;
  {
    std::lock_guard receiver(shared_->receiver_mu);
    std::unique_lock lock(shared_->mu);
    std::erase(shared_->pumps, &pump);
    if (shared_->receiver != nullptr) pump.defer(false);
    last = shared_->pumps.empty();
  }
  if (last) stop_timer();
}

void ReceivePumps::collect(std::vector<pollfd>& fds, std::vector<tap::ReceivePump*>& pumps) {
  std::shared_lock lock(shared_->mu);
  for (tap::ReceivePump* p : shared_->pumps) {
    fds.push_back({p->receive_fd(), POLLIN, 0});
    pumps.push_back(p);
  }
}

void ReceivePumps::pump(tap::ReceivePump* pump) {
  // Shared while it runs, so remove() waits for it.
  std::shared_lock lock(shared_->mu);
  const auto& pumps = shared_->pumps;
  if (std::find(pumps.begin(), pumps.end(), pump) != pumps.end()) pump->pump();
}

void ReceivePumps::claim(PumpingWaker& waker) {
  ThreadReceiver& me = this_thread_receiver();
  me.claimed(shared_);
  Shared& s = *shared_;
  std::lock_guard lock(s.receiver_mu);
  PumpingWaker* before = s.waiting.exchange(&waker, std::memory_order_acq_rel);
  if (before != nullptr) {
    s.displaced.push_back({before, s.receiver});
    before->wake();
  }
  const void* was = std::exchange(s.receiver, &me);
  // A thread that lingered (this one or another) kept the links deferring.
  if (was == nullptr) s.defer_all(true);
}

void ReceivePumps::leave(PumpingWaker& waker) {
  Shared& s = *shared_;
  std::lock_guard lock(s.receiver_mu);
  if (s.waiting.load(std::memory_order_relaxed) != &waker) {
    std::erase_if(s.displaced, [&](const Shared::Displaced& d) { return d.waker == &waker; });
    return;
  }
  s.waiting.store(nullptr, std::memory_order_release);
  ++s.leaves;
  bool lingers = s.timer.valid() && s.forbidden == 0 && !s.pumps.empty();
  if (lingers && !s.timer_armed) lingers = s.arm();
  if (!lingers) s.release();
}

void ReceivePumps::stop_lingering() {
  Shared& s = *shared_;
  std::lock_guard lock(s.receiver_mu);
  if (s.lingers()) s.release();
}

void ReceivePumps::forbid_lingering(bool forbid) {
  Shared& s = *shared_;
  std::lock_guard lock(s.receiver_mu);
  s.forbidden += forbid ? 1 : -1;
  if (forbid && s.lingers()) s.release();
}

bool ReceivePumps::receives(const PumpingWaker& waker) const noexcept {
  return shared_->waiting.load(std::memory_order_acquire) == &waker;
}

bool ReceivePumps::lingering() const {
  std::lock_guard lock(shared_->receiver_mu);
  return shared_->lingers();
}

}  // namespace weft::socket
