#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace weft::stack {

// Told when a socket's readiness may have changed. wake() runs on the stack's
// threads with the socket's locks held: it must be quick, must not block and must
// not call back into any socket.
class Waker {
 public:
  virtual ~Waker() = default;
  virtual void wake() noexcept = 0;
  // True while the thread that waits on this Waker is the one putting frames
  // into the stack (it receives for a link itself: socket::PumpingWaker). It
  // sees what arrived as soon as that input ends and may answer at once, so
  // the stack may hold an acknowledgement back for the answer to carry
  // (StackDriver::send_held_acks).
  [[nodiscard]] virtual bool on_input_thread() const noexcept { return false; }
};

// A Waker one thread blocks on: the blocking socket calls and poll use it.
// Register it (Socket::watch) BEFORE re-checking readiness, so no wake-up falls
// between the check and the wait.
class CvWaker final : public Waker {
 public:
  void wake() noexcept override {
    {
      std::lock_guard lock(m_);
      woken_ = true;
    }
    cv_.notify_all();
  }
  // False on timeout. Consumes the wake-up.
  bool wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(m_);
    bool ok = cv_.wait_until(lock, deadline, [this] { return woken_; });
    woken_ = false;
    return ok;
  }
  void wait() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [this] { return woken_; });
    woken_ = false;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool woken_{false};
};

}  // namespace weft::stack
