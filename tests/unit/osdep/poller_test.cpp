#include "osdep/poller.hpp"

#include <gtest/gtest.h>
#include <sys/eventfd.h>

#include <thread>

namespace weft::osdep {
namespace {

TEST(Poller, WakeUnblocksAWaitingThread) {
  auto poller = Poller::create();
  ASSERT_TRUE(poller.ok());
  bool woken = false;
  std::thread waiter([&] {
    std::uint64_t tokens[4];
    auto r = poller->wait(tokens);
    woken = r.ok() && r->woken && r->count == 0;
  });
  poller->wake();
  waiter.join();
  EXPECT_TRUE(woken);
}

TEST(Poller, AWakeBeforeTheWaitIsNotLostAndIsConsumedOnce) {
  auto poller = Poller::create();
  ASSERT_TRUE(poller.ok());
  poller->wake();
  poller->wake();
  std::uint64_t tokens[4];
  auto first = poller->wait(tokens);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->woken);
  auto second = poller->wait(tokens, 0ms);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->woken);
  EXPECT_EQ(second->count, 0U);
}

TEST(Poller, ReportsReadableFdsByToken) {
  auto poller = Poller::create();
  ASSERT_TRUE(poller.ok());
  UniqueFd a{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  UniqueFd b{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  ASSERT_TRUE(poller->add(a.get(), 10).ok());
  ASSERT_TRUE(poller->add(b.get(), 20).ok());
  std::uint64_t tokens[4];
  auto idle = poller->wait(tokens, 1ms);
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(idle->count, 0U);
  const std::uint64_t one = 1;
  ASSERT_EQ(::write(b.get(), &one, sizeof one), 8);
  auto r = poller->wait(tokens);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->count, 1U);
  EXPECT_EQ(tokens[0], 20U);
  EXPECT_FALSE(r->woken);
  ASSERT_TRUE(poller->remove(b.get()).ok());
  auto after = poller->wait(tokens, 0ms);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->count, 0U);
  EXPECT_EQ(poller->remove(b.get()).error(), Error::not_found);
}

}  // namespace
}  // namespace weft::osdep
