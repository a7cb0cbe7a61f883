#include "base/fifo.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <memory>
#include <vector>

namespace weft {
namespace {

std::vector<int> contents(const Fifo<int>& q) { return {q.begin(), q.end()}; }

TEST(Fifo, KeepsOrderAcrossPushesAndPops) {
  Fifo<int> q;
  EXPECT_TRUE(q.empty());
  int next_in = 0;
  int next_out = 0;
  // Uneven pushes and pops, so the front moves past reclaimed and unreclaimed slots.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round % 7 + 1; ++i) q.push_back(next_in++);
    for (int i = 0; i < round % 5 + 1 && !q.empty(); ++i) {
      ASSERT_EQ(q.front(), next_out++);
      q.pop_front();
    }
    ASSERT_EQ(q.size(), static_cast<std::size_t>(next_in - next_out));
  }
  while (!q.empty()) {
    ASSERT_EQ(q.front(), next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

// The receive path walks the queue with an iterator, then pops up to it.
TEST(Fifo, IteratorsStayValidWhilePopping) {
  Fifo<int> q;
  for (int i = 0; i < 6; ++i) q.push_back(i);
  auto it = q.begin() + 4;
  while (q.begin() != it) q.pop_front();
  EXPECT_EQ(*it, 4);
  EXPECT_EQ(contents(q), (std::vector<int>{4, 5}));
  it = q.end();
  while (q.begin() != it) q.pop_front();
  EXPECT_TRUE(q.empty());
  q.push_back(7);
  EXPECT_EQ(contents(q), (std::vector<int>{7}));
}

TEST(Fifo, APoppedElementIsReleasedAtOnce) {
  Fifo<std::shared_ptr<int>> q;
  auto owned = std::make_shared<int>(1);
  std::weak_ptr<int> watch = owned;
  q.push_back(std::move(owned));
  q.push_back(std::make_shared<int>(2));
  q.pop_front();
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(*q.front(), 2);
}

TEST(Fifo, SwapAndClear) {
  Fifo<int> a;
  Fifo<int> b;
  for (int i = 0; i < 3; ++i) a.push_back(i);
  a.pop_front();
  a.swap(b);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(contents(b), (std::vector<int>{1, 2}));
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0U);
}

// Why it exists: an idle socket's queues cost nothing.
TEST(Fifo, AnEmptyQueueHoldsNoHeap) {
  const auto before = mallinfo2().uordblks;
  auto q = std::make_unique<Fifo<int>>();
  const auto with_queue = mallinfo2().uordblks;
  EXPECT_LE(with_queue - before, sizeof(Fifo<int>) + 2 * sizeof(void*));
}

}  // namespace
}  // namespace weft
