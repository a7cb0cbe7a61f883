#include "base/clock.hpp"

#include <gtest/gtest.h>

#include "base/manual_clock.hpp"

namespace weft {
namespace {

TEST(Instant, ArithmeticAndOrdering) {
  const Instant a = Instant::from_nanos(1'000);
  const Instant b = a + 5us;
  EXPECT_EQ(b.nanos(), 6'000);
  EXPECT_EQ(b - a, 5us);
  EXPECT_EQ(b - 5us, a);
  EXPECT_LT(a, b);
  EXPECT_LT(b, Instant::max());
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock{Instant::from_nanos(10)};
  const Clock& c = clock;
  EXPECT_EQ(c.now().nanos(), 10);
  clock.advance(1ms);
  EXPECT_EQ(c.now().nanos(), 10 + 1'000'000);
  clock.set(Instant::from_nanos(3));
  EXPECT_EQ(c.now().nanos(), 3);
}

TEST(SteadyClock, IsMonotonic) {
  SteadyClock clock;
  const Instant a = clock.now();
  const Instant b = clock.now();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace weft
