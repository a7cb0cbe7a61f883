#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "socket/receive_pumps.hpp"
#include "stack/stack_driver.hpp"
#include "stack/waker.hpp"

namespace weft::socket {

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

  // What the wait is for. input: what the links bring; the waker's thread
  // receives for them itself. acks: what only the far end's acknowledgements
  // bring (room to send, SO_LINGER's drain); the links' own threads receive
  // meanwhile (a hand-off costs no latency there, and receiving in parallel
  // with the sender helps throughput), so a thread lingering stops first.
  enum class For : std::uint8_t { input, acks };

  // Without pumps it only waits. Before each sleep it has `stack` (if not
  // null) send the acknowledgements held for an answer from this thread
  // (on_input_thread).
  PumpingWaker(ReceivePumps* pumps, stack::StackDriver* stack, For waits_for = For::input);
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
  // Only when event_fd_ < 0: a condition variable built and destroyed on
  // every blocking call showed in the round trip's profile.
  std::unique_ptr<stack::CvWaker> fallback_;
};

}  // namespace weft::socket
