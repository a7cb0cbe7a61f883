#include "tap/capture_queue.hpp"

namespace weft::tap {

void CaptureQueue::offer(std::span<const ByteSpan> frames, Instant now) {
  bool woke = false;
  {
    std::lock_guard lock(mutex_);
    if (ended()) return;
    for (const ByteSpan f : frames) {
      if (limits_.count != 0 && stats_.accepted >= limits_.count) break;
      if (frames_.size() >= limits_.max_frames || bytes_ + f.size() > limits_.max_bytes) {
        ++stats_.dropped;
        continue;
      }
      woke = woke || frames_.empty();
      frames_.push_back({now, Bytes(f.begin(), f.end())});
      bytes_ += f.size();
      ++stats_.accepted;
    }
  }
  // Once per batch that found the queue empty: the consumer is either asleep
  // (and needs this) or about to take everything anyway.
  if (woke) ready_.notify_one();
}

bool CaptureQueue::take(std::vector<Frame>& out) {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [this] { return !frames_.empty() || ended(); });
  if (frames_.empty()) return false;
  out.reserve(out.size() + frames_.size());
  for (auto& f : frames_) out.push_back(std::move(f));
  frames_.clear();
  bytes_ = 0;
  return true;
}

void CaptureQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

CaptureQueue::Stats CaptureQueue::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool CaptureQueue::complete() const {
  std::lock_guard lock(mutex_);
  return limits_.count != 0 && stats_.accepted >= limits_.count;
}

bool CaptureQueue::ended() const {
  return closed_ || (limits_.count != 0 && stats_.accepted >= limits_.count);
}

}  // namespace weft::tap
