#include "peer/replay_window.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace weft::peer {
namespace {

TEST(ReplayWindow, AcceptsEachCounterOnceInOrder) {
  ReplayWindow w;
  for (std::uint64_t c = 0; c < 10'000; ++c) {
    ASSERT_TRUE(w.mark(c)) << c;
    ASSERT_FALSE(w.mark(c)) << c;
    ASSERT_FALSE(w.is_fresh(c)) << c;
  }
  EXPECT_EQ(w.top(), 10'000U);
}

TEST(ReplayWindow, ReorderWithinTheWindowIsAcceptedOnceEach) {
  // 2,048 packets arrive in reverse order after the newest: all accepted once.
  ReplayWindow w;
  ASSERT_TRUE(w.mark(5000));
  for (std::uint64_t c = 4999; c >= 5000 - 2048; --c) ASSERT_TRUE(w.mark(c)) << c;
  for (std::uint64_t c = 5000 - 2048; c <= 5000; ++c) ASSERT_FALSE(w.mark(c)) << c;
  // Interleaved: evens then odds.
  ReplayWindow v;
  for (std::uint64_t c = 0; c < 3000; c += 2) ASSERT_TRUE(v.mark(c));
  for (std::uint64_t c = 1; c < 3000; c += 2) ASSERT_TRUE(v.mark(c));
  for (std::uint64_t c = 0; c < 3000; ++c) ASSERT_FALSE(v.mark(c));
}

TEST(ReplayWindow, WindowEdgeIsExact) {
  ReplayWindow w;
  const std::uint64_t top = 100'000;
  ASSERT_TRUE(w.mark(top - 1));
  EXPECT_TRUE(w.is_fresh(top - ReplayWindow::kWindow));       // the oldest still inside
  EXPECT_FALSE(w.is_fresh(top - ReplayWindow::kWindow - 1));  // one older: too old
  EXPECT_FALSE(w.mark(0));
  EXPECT_GE(ReplayWindow::kWindow, 2048U);
  ASSERT_TRUE(w.mark(top - ReplayWindow::kWindow));
  EXPECT_FALSE(w.mark(top - ReplayWindow::kWindow));
}

TEST(ReplayWindow, AJumpForgetsOnlyWhatLeftTheWindow) {
  ReplayWindow w;
  for (std::uint64_t c = 0; c < 100; ++c) ASSERT_TRUE(w.mark(c));
  // Jump by less than the window: old marks still count.
  ASSERT_TRUE(w.mark(3000));
  EXPECT_FALSE(w.is_fresh(50));
  EXPECT_TRUE(w.is_fresh(150));  // never seen, inside the window
  // Jump far: everything before falls out of the window and is rejected.
  ASSERT_TRUE(w.mark(1'000'000));
  EXPECT_FALSE(w.is_fresh(3000));
  EXPECT_FALSE(w.is_fresh(150));
  // Bits of the ring reused after the jump start clear.
  EXPECT_TRUE(w.is_fresh(1'000'000 - 64));
  EXPECT_TRUE(w.is_fresh(1'000'001 - ReplayWindow::kWindow));  // top is 1'000'001
  EXPECT_FALSE(w.is_fresh(1'000'000 - ReplayWindow::kWindow));
}

TEST(ReplayWindow, CounterLimitsAndWrap) {
  ReplayWindow w;
  EXPECT_FALSE(w.mark(ReplayWindow::kCounterLimit));
  EXPECT_FALSE(w.mark(UINT64_MAX));
  EXPECT_EQ(w.top(), 0U);  // a rejected counter changes nothing
  ASSERT_TRUE(w.mark(ReplayWindow::kCounterLimit - 1));
  EXPECT_EQ(w.top(), ReplayWindow::kCounterLimit);
  // Nothing can follow the last valid counter: the counter never wraps to 0.
  EXPECT_FALSE(w.is_fresh(ReplayWindow::kCounterLimit));
  EXPECT_FALSE(w.is_fresh(0));
  EXPECT_TRUE(w.is_fresh(ReplayWindow::kCounterLimit - 2));
}

}  // namespace
}  // namespace weft::peer
