#include "tap/tap.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace weft::tap {
namespace {

struct Recorder final : FrameSink {
  void send_frames(std::span<const ByteSpan> batch) override {
    ++batches;
    for (ByteSpan f : batch) frames.emplace_back(f.begin(), f.end());
  }
  int batches = 0;
  std::vector<Bytes> frames;
};

Bytes frame(std::size_t size, std::uint8_t fill) { return Bytes(size, std::byte{fill}); }

TEST(Tap, ForwardsBothDirectionsByteExact) {
  Tap tap(*Mac::parse("02:00:00:00:00:01"), 1500);
  Recorder stack;
  Recorder network;
  tap.attach_stack(&stack);
  tap.attach_network(&network);
  const Bytes a = frame(60, 0xaa);
  const Bytes b = frame(1514, 0xbb);
  const ByteSpan in[] = {a, b};
  tap.put(in);
  ASSERT_EQ(stack.frames.size(), 2U);
  EXPECT_EQ(stack.frames[0], a);
  EXPECT_EQ(stack.frames[1], b);
  EXPECT_EQ(stack.batches, 1);
  const ByteSpan out[] = {b};
  tap.transmit(out);
  ASSERT_EQ(network.frames.size(), 1U);
  EXPECT_EQ(network.frames[0], b);
  EXPECT_EQ(tap.stats().frames_in, 2U);
  EXPECT_EQ(tap.stats().frames_out, 1U);
}

TEST(Tap, DropsAndCountsRuntAndOversizedFrames) {
  Tap tap(Mac{}, 1500);
  Recorder stack;
  tap.attach_stack(&stack);
  const Bytes empty;
  const Bytes runt = frame(13, 1);
  const Bytes ok = frame(14, 2);
  const Bytes max = frame(1514, 3);
  const Bytes over = frame(1515, 4);
  const ByteSpan in[] = {empty, runt, ok, max, over};
  tap.put(in);
  ASSERT_EQ(stack.frames.size(), 2U);
  EXPECT_EQ(stack.frames[0], ok);
  EXPECT_EQ(stack.frames[1], max);
  EXPECT_EQ(tap.stats().dropped_runt, 2U);
  EXPECT_EQ(tap.stats().dropped_oversize, 1U);
}

TEST(Tap, UnattachedSideCountsDrops) {
  Tap tap(Mac{}, 1500);
  const Bytes f = frame(64, 0);
  const ByteSpan in[] = {f, f};
  tap.put(in);
  tap.transmit(in);
  EXPECT_EQ(tap.stats().dropped_unattached, 4U);
}

TEST(Tap, LargeBatchesArriveInOrder) {
  Tap tap(Mac{}, 9000);
  Recorder stack;
  tap.attach_stack(&stack);
  std::vector<Bytes> frames;
  std::vector<ByteSpan> spans;
  for (int i = 0; i < 200; ++i) frames.push_back(frame(100, static_cast<std::uint8_t>(i)));
  for (const auto& f : frames) spans.push_back(f);
  tap.put(spans);
  ASSERT_EQ(stack.frames.size(), 200U);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(stack.frames[i], frames[i]) << i;
}

}  // namespace
}  // namespace weft::tap
