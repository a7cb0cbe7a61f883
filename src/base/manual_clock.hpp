#pragma once

#include <atomic>
#include <cstdint>

#include "base/clock.hpp"

namespace weft {

// A clock that moves only when told to; for tests and the simulator.
// Atomic so a test thread may advance it while another reads it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start = {}) : ns_(start.nanos()) {}
  [[nodiscard]] Instant now() const noexcept override {
    return Instant::from_nanos(ns_.load(std::memory_order_acquire));
  }
  void advance(Duration d) noexcept { ns_.fetch_add(d.count(), std::memory_order_acq_rel); }
  void set(Instant t) noexcept { ns_.store(t.nanos(), std::memory_order_release); }

 private:
  std::atomic<std::int64_t> ns_;
};

}  // namespace weft
