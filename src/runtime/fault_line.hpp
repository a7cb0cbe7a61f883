#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "tap/fault_injector.hpp"
#include "tap/frame_sink.hpp"

namespace weft::runtime {

// A tap::FaultInjector with the thread it needs: the injector releases delayed
// and reordered frames only when polled, so this line's thread polls it at its
// deadlines and whenever new frames went in (never on a fixed tick). Frames
// sent into it reach `next` damaged as configured (tests of the stack under
// loss, reordering, duplication and corruption; trying an application on a bad
// network). `next` must outlive the line; the destructor joins the thread.
class FaultLine final : public tap::FrameSink {
 public:
  FaultLine(tap::FrameSink& next, const tap::FaultConfig& config);
  ~FaultLine() override;
  FaultLine(const FaultLine&) = delete;
  FaultLine& operator=(const FaultLine&) = delete;

  void send_frames(std::span<const ByteSpan> frames) override;
  [[nodiscard]] tap::FaultInjector::Stats stats() const;

 private:
  void run();

  SteadyClock clock_;
  tap::FaultInjector injector_;
  mutable std::mutex mutex_;  // kick_, stop_
  std::condition_variable cv_;
  bool kick_{false};
  bool stop_{false};
  std::thread thread_;  // last: starts after everything it uses
};

}  // namespace weft::runtime
