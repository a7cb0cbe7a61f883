#pragma once

#include "base/instant.hpp"

namespace weft {

// Where time comes from. Only runtime/ and osdep/ hold a Clock; the cores are
// handed Instants. Tests use ManualClock.
class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual Instant now() const noexcept = 0;
};

// CLOCK_MONOTONIC: never jumps with wall-clock changes.
class SteadyClock final : public Clock {
 public:
  [[nodiscard]] Instant now() const noexcept override;
};

// CLOCK_REALTIME, nanoseconds since the Unix epoch: for stamps a person or
// another tool reads (pcap records), never for deadlines (it jumps).
class SystemClock final : public Clock {
 public:
  [[nodiscard]] Instant now() const noexcept override;
};

}  // namespace weft
