#pragma once

// A link for tests of who receives (socket::ReceivePumps): its "datagrams" are
// an eventfd's count; pump() drains it and notes the thread it ran on, defer()
// notes what it was told.

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "osdep/unique_fd.hpp"
#include "tap/receive_pump.hpp"

namespace weft::test_support {

class RecordingPump final : public tap::ReceivePump {
 public:
  RecordingPump() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  [[nodiscard]] int receive_fd() const noexcept override { return fd_.get(); }
  void pump() noexcept override {
    std::uint64_t n = 0;
    (void)!::read(fd_.get(), &n, sizeof n);
    if (on_pump_) on_pump_();
    std::lock_guard lock(mu_);
    pumped_on_.push_back(std::this_thread::get_id());
  }
  void defer(bool deferring) noexcept override {
    std::lock_guard lock(mu_);
    deferred_.push_back(deferring);
  }

  // Runs inside every later pump(), as a link's receive runs the stack's input.
  void on_pump(std::function<void()> f) { on_pump_ = std::move(f); }
  // A datagram arrives: receive_fd() turns readable.
  bool arrive() {
    const std::uint64_t one = 1;
    return ::write(fd_.get(), &one, sizeof one) == sizeof one;
  }
  std::vector<std::thread::id> pumped_on() {
    std::lock_guard lock(mu_);
    return pumped_on_;
  }
  std::vector<bool> deferred() {
    std::lock_guard lock(mu_);
    return deferred_;
  }

 private:
  osdep::UniqueFd fd_;
  std::function<void()> on_pump_;
  std::mutex mu_;
  std::vector<std::thread::id> pumped_on_;
  std::vector<bool> deferred_;
};

}  // namespace weft::test_support
