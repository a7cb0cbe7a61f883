#include "runtime/event_queue.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <thread>

namespace weft::runtime {
namespace {

using namespace std::chrono_literals;

node::NodeEvent event(std::uint64_t peer) {
  return {node::NodeEvent::Kind::path_direct, NodeId::from_u64(peer).value(), std::nullopt};
}

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

TEST(EventQueue, KeepsOrderAndSaysWhereEventsWereLost) {
  auto q = EventQueue::create(3).value();
  for (std::uint64_t i = 1; i <= 6; ++i) q->push(event(i));
  EXPECT_EQ(q->size(), 4U);  // three events and one notice
  EXPECT_EQ(q->lost_total(), 3U);
  for (std::uint64_t i = 1; i <= 3; ++i) {
    auto e = q->pop(0ms);
    ASSERT_TRUE(e && e->event);
    EXPECT_EQ(e->event->peer.value(), i);
  }
  // Room again: a new event comes after the notice, not before it.
  q->push(event(7));
  auto notice = q->pop(0ms);
  ASSERT_TRUE(notice);
  EXPECT_FALSE(notice->event);
  EXPECT_EQ(notice->lost, 3U);
  auto seventh = q->pop(0ms);
  ASSERT_TRUE(seventh && seventh->event);
  EXPECT_EQ(seventh->event->peer.value(), 7U);
  EXPECT_FALSE(q->pop(0ms));
}

TEST(EventQueue, FdIsReadableExactlyWhileEntriesWait) {
  auto q = EventQueue::create(2).value();
  EXPECT_FALSE(readable(q->fd()));
  q->push(event(1));
  q->push(event(2));
  q->push(event(3));  // lost
  EXPECT_TRUE(readable(q->fd()));
  ASSERT_TRUE(q->pop(0ms));
  ASSERT_TRUE(q->pop(0ms));
  EXPECT_TRUE(readable(q->fd()));  // the notice still waits
  ASSERT_TRUE(q->pop(0ms));
  EXPECT_FALSE(readable(q->fd()));
  q->push(event(4));
  EXPECT_TRUE(readable(q->fd()));
}

TEST(EventQueue, PopWaitsForAPushFromAnotherThreadAndCloseWakesIt) {
  auto q = EventQueue::create(4).value();
  std::thread pusher([&] { q->push(event(9)); });
  auto e = q->pop(20s);
  pusher.join();
  ASSERT_TRUE(e && e->event);
  EXPECT_EQ(e->event->peer.value(), 9U);

  std::thread closer([&] { q->close(); });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(q->pop(60s));
  closer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

TEST(EventQueue, ZeroCapacityIsRefused) {
  EXPECT_EQ(EventQueue::create(0).error(), Error::invalid_argument);
}

}  // namespace
}  // namespace weft::runtime
