#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/instant.hpp"
#include "tap/frame_sink.hpp"

namespace weft::tap {

struct FaultConfig {
  std::uint64_t seed{0};
  double loss{0};                        // probability a frame is dropped
  double duplicate{0};                   // probability a frame goes out twice, back to back
  double reorder{0};                     // probability a frame is held back ...
  std::size_t reorder_distance{1};       // ... until this many later frames went out (>= 1),
  Duration reorder_timeout{10ms};       // or this long if traffic stops
  double corrupt{0};   // probability one random bit after the Ethernet header flips
  Duration delay{0};   // added to every frame
  Duration jitter{0};  // plus a uniform extra delay in [0, jitter]
};

// Middleware that damages traffic on purpose, for tests and for trying an
// application on a bad network. Seeded and deterministic: the same seed, the
// same frames and the same times give the same output, byte for byte.
//
// Each frame, in order, is lost, corrupted (a copy), duplicated, delayed, and
// held back for reordering, each with its own probability; every frame draws
// the same number of random values whatever happens to it, so one fault's rate
// does not shift another's choices. With every rate and delay zero, frames go
// through unchanged in the same batches.
//
// Time comes from the injected Clock in send_frames; delayed and held frames
// leave when the owner calls poll(now), which returns the next deadline
// (Instant::max() if nothing waits). Thread-safe; the next sink is called with
// the injector's lock held (so output order is the decision order), and must
// not call back into the injector.
class FaultInjector final : public FrameSink {
 public:
  struct Stats {
    std::uint64_t frames_in;
    std::uint64_t frames_out;  // duplicates counted
    std::uint64_t lost;
    std::uint64_t duplicated;
    std::uint64_t reordered;
    std::uint64_t corrupted;
    std::uint64_t delayed;
  };

  FaultInjector(FrameSink& next, const Clock& clock, FaultConfig config) noexcept;

  void send_frames(std::span<const ByteSpan> frames) override;
  // Releases what is due at `now`; returns the next deadline.
  Instant poll(Instant now);

  [[nodiscard]] Stats stats() const;

 private:
  struct Pending {
    Bytes frame;
    bool duplicate;
    bool reorder;
  };
  struct Held {
    Bytes frame;
    bool duplicate;
    std::size_t remaining;  // frames still to go out before this one
    Instant deadline;
  };
  // One downstream batch: borrowed input frames and the copies it owns.
  struct Batch {
    std::vector<ByteSpan> spans;
    std::deque<Bytes> owned;  // a deque: adding does not move earlier copies
  };

  std::uint64_t next_random();
  double uniform();
  void emit(ByteSpan frame, Bytes* owned, bool duplicate, bool reorder, Instant now, Batch& out);
  void release(Instant now, Batch& out);
  Instant next_deadline() const;
  void flush(Batch& out);

  FrameSink& next_;
  const Clock& clock_;
  const FaultConfig config_;

  mutable std::mutex mutex_;
  std::uint64_t rng_;                                             // guarded by mutex_
  std::uint64_t sequence_{0};                                     // guarded by mutex_
  std::map<std::pair<Instant, std::uint64_t>, Pending> delayed_;  // guarded by mutex_
  std::deque<Held> held_;                                         // guarded by mutex_
  Stats stats_{};                                                 // guarded by mutex_
};

}  // namespace weft::tap
