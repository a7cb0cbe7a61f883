#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "base/instant.hpp"

namespace weft::tap {

// The hand-over between a data path and a slow capture consumer (a pcap file
// on a disk, a client reading a stream): the data path's threads offer frames
// and never wait for the consumer; the consumer takes them on its own thread.
//
// Bounded by frames and by bytes: what does not fit is dropped and counted,
// never queued, so a stalled consumer costs the data path one copy of what
// fits and nothing more. With a `count`, the first `count` frames accepted are
// the capture; later frames are ignored (not drops) and, once the consumer has
// taken them, take() reports the end.
//
// Thread-safe: offer() from any number of threads (the two directions of a
// tap), take() from one consumer thread, close() from any.
class CaptureQueue {
 public:
  struct Limits {
    std::size_t max_frames{8192};
    std::size_t max_bytes{16u << 20};
    std::uint64_t count{0};  // 0: no limit
  };
  struct Stats {
    std::uint64_t accepted;  // copied into the queue
    std::uint64_t dropped;   // the queue was full
  };
  struct Frame {
    Instant at;   // when it was offered
    Bytes bytes;  // the whole frame
  };

  explicit CaptureQueue(Limits limits) noexcept : limits_(limits) {}

  // Copies what fits, all stamped `now`; never blocks on the consumer.
  void offer(std::span<const ByteSpan> frames, Instant now);

  // Waits until frames wait, then moves all of them into `out` (appended) and
  // returns true. Returns false, at once, when nothing waits and no more will
  // be accepted: after close(), or once `count` frames were accepted.
  bool take(std::vector<Frame>& out);

  // Accepts nothing more and wakes take().
  void close();

  [[nodiscard]] Stats stats() const;
  // `count` frames were accepted (false without a count).
  [[nodiscard]] bool complete() const;

 private:
  [[nodiscard]] bool ended() const;  // under mutex_

  const Limits limits_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Frame> frames_;  // guarded by mutex_
  std::size_t bytes_{0};      // guarded by mutex_
  bool closed_{false};        // guarded by mutex_
  Stats stats_{};             // guarded by mutex_
};

}  // namespace weft::tap
