#pragma once

#include <chrono>
#include <compare>
#include <cstdint>

namespace weft {

using Duration = std::chrono::nanoseconds;
using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace): 10ms reads best

// A point on a monotonic timeline, in nanoseconds since an arbitrary origin
// (the real clock's boot-relative origin, or zero for a manual clock). Cores take
// Instants as parameters and return deadlines as Instants; they never read a clock.
class Instant {
 public:
  constexpr Instant() = default;
  static constexpr Instant from_nanos(std::int64_t ns) noexcept { return Instant{ns}; }
  static constexpr Instant max() noexcept { return Instant{INT64_MAX}; }

  [[nodiscard]] constexpr std::int64_t nanos() const noexcept { return ns_; }

  constexpr Instant operator+(Duration d) const noexcept { return Instant{ns_ + d.count()}; }
  constexpr Instant operator-(Duration d) const noexcept { return Instant{ns_ - d.count()}; }
  constexpr Duration operator-(Instant o) const noexcept { return Duration{ns_ - o.ns_}; }
  constexpr Instant& operator+=(Duration d) noexcept {
    ns_ += d.count();
    return *this;
  }
  constexpr auto operator<=>(const Instant&) const = default;

 private:
  constexpr explicit Instant(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_{0};
};

}  // namespace weft
