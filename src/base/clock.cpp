#include "base/clock.hpp"

namespace weft {

Instant SteadyClock::now() const noexcept {
  const auto since = std::chrono::steady_clock::now().time_since_epoch();
  return Instant::from_nanos(std::chrono::duration_cast<Duration>(since).count());
}

Instant SystemClock::now() const noexcept {
  const auto since = std::chrono::system_clock::now().time_since_epoch();
  return Instant::from_nanos(std::chrono::duration_cast<Duration>(since).count());
}

}  // namespace weft
