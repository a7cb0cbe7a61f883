#pragma once

#include <condition_variable>
#include <mutex>
#include <vector>

#include "base/bytes.hpp"
#include "base/instant.hpp"
#include "tap/frame_sink.hpp"

namespace weft::tap::testing {

// A thread-safe sink that keeps a copy of every frame and counts batches; a
// test thread waits on it for frames another thread delivers.
class FrameRecorder final : public FrameSink {
 public:
  void send_frames(std::span<const ByteSpan> frames) override {
    {
      std::lock_guard lock(mutex_);
      ++batches_;
      for (ByteSpan f : frames) frames_.emplace_back(f.begin(), f.end());
    }
    changed_.notify_all();
  }

  // Waits until at least n frames arrived. The bound only keeps a broken build
  // from hanging a test; it is not a performance assertion.
  bool wait_for(std::size_t n, Duration bound = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, bound, [&] { return frames_.size() >= n; });
  }

  std::vector<Bytes> frames() const {
    std::lock_guard lock(mutex_);
    return frames_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return frames_.size();
  }
  std::size_t batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Bytes> frames_;
  std::size_t batches_{0};
};

}  // namespace weft::tap::testing
