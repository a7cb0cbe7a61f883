#include "tap/capture_queue.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace weft::tap {
namespace {

Bytes frame(std::size_t size, std::uint8_t fill) { return Bytes(size, std::byte{fill}); }

std::vector<ByteSpan> spans(const std::vector<Bytes>& frames) {
  return {frames.begin(), frames.end()};
}

TEST(CaptureQueue, KeepsFramesAndStampsInOrder) {
  CaptureQueue q({});
  const std::vector<Bytes> a{frame(60, 1), frame(1514, 2)};
  const std::vector<Bytes> b{frame(100, 3)};
  q.offer(spans(a), Instant::from_nanos(10));
  q.offer(spans(b), Instant::from_nanos(20));
  std::vector<CaptureQueue::Frame> out;
  ASSERT_TRUE(q.take(out));
  ASSERT_EQ(out.size(), 3U);
  EXPECT_EQ(out[0].bytes, a[0]);
  EXPECT_EQ(out[1].bytes, a[1]);
  EXPECT_EQ(out[2].bytes, b[0]);
  EXPECT_EQ(out[0].at, Instant::from_nanos(10));
  EXPECT_EQ(out[1].at, Instant::from_nanos(10));
  EXPECT_EQ(out[2].at, Instant::from_nanos(20));
  EXPECT_EQ(q.stats().accepted, 3U);
  EXPECT_EQ(q.stats().dropped, 0U);
}

// A consumer that does not take: the producer never waits, the queue holds
// max_frames, and each frame beyond is counted as dropped.
TEST(CaptureQueue, FullQueueDropsAndCountsWithoutBlocking) {
  CaptureQueue q({.max_frames = 4, .max_bytes = 1u << 20, .count = 0});
  std::vector<Bytes> frames;
  for (std::uint8_t i = 0; i < 10; ++i) frames.push_back(frame(64, i));
  q.offer(spans(frames), Instant{});
  EXPECT_EQ(q.stats().accepted, 4U);
  EXPECT_EQ(q.stats().dropped, 6U);
  std::vector<CaptureQueue::Frame> out;
  ASSERT_TRUE(q.take(out));
  ASSERT_EQ(out.size(), 4U);
  for (std::uint8_t i = 0; i < 4; ++i) EXPECT_EQ(out[i].bytes, frames[i]);  // the first ones
  // Room again after the take.
  q.offer(spans(frames), Instant{});
  EXPECT_EQ(q.stats().accepted, 8U);
  EXPECT_EQ(q.stats().dropped, 12U);
}

TEST(CaptureQueue, ByteBoundDropsBigFramesButKeepsSmallOnes) {
  CaptureQueue q({.max_frames = 100, .max_bytes = 3000, .count = 0});
  const std::vector<Bytes> frames{frame(1500, 1), frame(1500, 2), frame(1500, 3), frame(60, 4)};
  q.offer(spans(frames), Instant{});
  EXPECT_EQ(q.stats().accepted, 2U);
  EXPECT_EQ(q.stats().dropped, 2U);  // the third big one; the small one fit
  std::vector<CaptureQueue::Frame> out;
  ASSERT_TRUE(q.take(out));
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[1].bytes, frames[1]);
  EXPECT_EQ(q.stats().accepted, 2U);
}

TEST(CaptureQueue, CountEndsTheCaptureOnceTaken) {
  CaptureQueue q({.max_frames = 100, .max_bytes = 1u << 20, .count = 3});
  std::vector<Bytes> frames;
  for (std::uint8_t i = 0; i < 5; ++i) frames.push_back(frame(64, i));
  q.offer(spans(frames), Instant{});
  EXPECT_TRUE(q.complete());
  EXPECT_EQ(q.stats().accepted, 3U);
  EXPECT_EQ(q.stats().dropped, 0U);  // past the count is not a drop
  q.offer(spans(frames), Instant{});
  EXPECT_EQ(q.stats().accepted, 3U);
  std::vector<CaptureQueue::Frame> out;
  ASSERT_TRUE(q.take(out));
  EXPECT_EQ(out.size(), 3U);
  EXPECT_FALSE(q.take(out));  // at once: nothing more will come
}

TEST(CaptureQueue, CloseWakesAWaitingConsumerAfterItsFrames) {
  CaptureQueue q({});
  std::vector<std::size_t> sizes;
  std::thread consumer([&] {
    std::vector<CaptureQueue::Frame> out;
    while (q.take(out)) {
      sizes.push_back(out.size());
      out.clear();
    }
  });
  const std::vector<Bytes> frames{frame(64, 1), frame(64, 2)};
  for (int i = 0; i < 100; ++i) q.offer(spans(frames), Instant{});
  q.close();
  consumer.join();
  std::size_t total = 0;
  for (const std::size_t s : sizes) total += s;
  EXPECT_EQ(total, 200U);
  q.offer(spans(frames), Instant{});  // after close: ignored
  EXPECT_EQ(q.stats().accepted, 200U);
}

}  // namespace
}  // namespace weft::tap
