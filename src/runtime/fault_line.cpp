#include "runtime/fault_line.hpp"

namespace weft::runtime {

FaultLine::FaultLine(tap::FrameSink& next, const tap::FaultConfig& config)
    : injector_(next, clock_, config), thread_([this] { run(); }) {}

FaultLine::~FaultLine() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void FaultLine::send_frames(std::span<const ByteSpan> frames) {
  injector_.send_frames(frames);
  {
    std::lock_guard lock(mutex_);
    kick_ = true;
  }
  cv_.notify_one();
}

tap::FaultInjector::Stats FaultLine::stats() const { return injector_.stats(); }

void FaultLine::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    kick_ = false;
    lock.unlock();
    const Instant next = injector_.poll(clock_.now());
    lock.lock();
    auto woken = [this] { return stop_ || kick_; };
    if (next == Instant::max()) {
      cv_.wait(lock, woken);
    } else {
      cv_.wait_for(lock, next - clock_.now(), woken);
    }
  }
}

}  // namespace weft::runtime
