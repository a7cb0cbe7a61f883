#pragma once

#include <poll.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "stack/stack_driver.hpp"
#include "stack/waker.hpp"
#include "tap/receive_pump.hpp"

namespace weft::socket {

class PumpingWaker;

// The receive paths of the links under a SocketTable's stack, which a thread
// blocked in the table drives itself while it waits (PumpingWaker). One
// blocked thread at a time does: the one that blocked last (the others, were
// they all to wait for the links too, would all wake for every datagram).
// Meanwhile the links' own threads defer to it.
class ReceivePumps {
 public:
  void add(tap::ReceivePump& pump);
  // Returns once no thread is inside the pump's pump(): the link may then stop.
  void remove(tap::ReceivePump& pump);

  // Appends a pollfd (POLLIN) per pump to `fds` and the pumps, in the same
  // order, to `pumps`.
  void collect(std::vector<pollfd>& fds, std::vector<tap::ReceivePump*>& pumps);
  // pump->pump() if it is still registered.
  void pump(tap::ReceivePump* pump);

  // `waker` becomes the one that receives; the one before it is woken, so it
  // stops waiting for the links. Release: nobody receives, the links' own
  // threads do again.
  void claim(PumpingWaker& waker);
  void release(PumpingWaker& waker);
  [[nodiscard]] bool receives(const PumpingWaker& waker) const noexcept {
    return receiver_.load(std::memory_order_acquire) == &waker;
  }

 private:
  // Lock order: receiver_mu_, then mu_.
  std::shared_mutex mu_;
  std::vector<tap::ReceivePump*> pumps_;  // guarded by mu_
  // Set and cleared under receiver_mu_, which also keeps the one it replaces
  // alive while claim() wakes it.
  std::mutex receiver_mu_;
  std::atomic<PumpingWaker*> receiver_{nullptr};
};

// A Waker one thread blocks on, as stack::CvWaker, which while it waits also
// receives for the links of `pumps` (until a thread that blocked later takes
// over): when a frame arrives for the socket it waits on, this thread puts it
// into the stack and finds its data ready, with no hand-off from the link's
// thread. Register it (Socket::watch) before re-checking readiness, as any
// Waker.
//
// It wakes through an eventfd kept per thread, so a wake-up that came after
// the last check of an earlier wait can end one later wait early: callers
// re-check readiness after every wait anyway. A thread the kernel would give
// no eventfd waits as on a CvWaker, without receiving.
class PumpingWaker final : public stack::Waker {
 public:
  using Clock = std::chrono::steady_clock;

  // Without pumps (a wait for room to send, where a hand-off costs no
  // latency and the link's thread receiving in parallel helps throughput) it
  // only waits. Before each sleep it has `stack` (if not null) send the
  // acknowledgements held for an answer from this thread (on_input_thread).
  PumpingWaker(ReceivePumps* pumps, stack::StackDriver* stack);
  ~PumpingWaker() override;
  PumpingWaker(const PumpingWaker&) = delete;
  PumpingWaker& operator=(const PumpingWaker&) = delete;

  void wake() noexcept override;
  // True while this waker's thread is inside a pump.
  [[nodiscard]] bool on_input_thread() const noexcept override;
  // Returns after a wake() or after receiving frames (either may have made
  // the socket ready); false once the deadline passed.
  bool wait_until(std::optional<Clock::time_point> deadline);

 private:
  ReceivePumps* pumps_;
  stack::StackDriver* stack_;
  int event_fd_;
  stack::CvWaker fallback_;  // when event_fd_ < 0
};

}  // namespace weft::socket
