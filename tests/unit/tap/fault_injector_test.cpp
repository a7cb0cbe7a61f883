#include "tap/fault_injector.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <thread>
#include <vector>

#include "base/manual_clock.hpp"
#include "unit/tap/frame_recorder.hpp"

namespace weft::tap {
namespace {

using testing::FrameRecorder;

// Frame i: 60 bytes, index in bytes 14..17 (after the Ethernet header), so the
// output can be read back as a sequence of indices.
Bytes frame(std::uint32_t i, std::size_t size = 60) {
  Bytes f(size, std::byte{0x5a});
  // Frames too short for the whole index carry its first bytes.
  ByteArray<4> index{};
  store_be32(index, i);
  for (std::size_t k = 0; k < 4 && 14 + k < size; ++k) f[14 + k] = index[k];
  return f;
}
std::vector<Bytes> frames(std::uint32_t n) {
  std::vector<Bytes> v;
  for (std::uint32_t i = 0; i < n; ++i) v.push_back(frame(i));
  return v;
}
std::vector<std::uint32_t> indices(const std::vector<Bytes>& out) {
  std::vector<std::uint32_t> v;
  for (const Bytes& f : out)
    v.push_back(load_be32(std::span<const std::byte, 4>(f.data() + 14, 4)));
  return v;
}
void send_one_by_one(FaultInjector& fi, const std::vector<Bytes>& in) {
  for (const Bytes& f : in) {
    const ByteSpan one[] = {f};
    fi.send_frames(one);
  }
}
std::vector<std::uint32_t> iota(std::uint32_t n) {
  std::vector<std::uint32_t> v(n);
  for (std::uint32_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

TEST(FaultInjector, WithAllRatesZeroEverythingPassesUnchangedInTheSameBatches) {
  ManualClock clock;
  FrameRecorder out;
  FaultInjector fi(out, clock, FaultConfig{.seed = 7});
  std::vector<Bytes> in;
  for (std::uint32_t i = 0; i < 100'000; ++i) in.push_back(frame(i, 14 + i % 1501));
  std::size_t batches = 0;
  for (std::size_t i = 0; i < in.size(); i += 1 + batches % 64, ++batches) {
    const std::size_t end = std::min(in.size(), i + 1 + batches % 64);
    std::vector<ByteSpan> b(in.begin() + static_cast<std::ptrdiff_t>(i),
                            in.begin() + static_cast<std::ptrdiff_t>(end));
    fi.send_frames(b);
  }
  EXPECT_EQ(out.frames(), in);
  EXPECT_EQ(out.batches(), batches);
  EXPECT_EQ(fi.poll(clock.now()), Instant::max());
  const auto s = fi.stats();
  EXPECT_EQ(s.frames_in, 100'000U);
  EXPECT_EQ(s.frames_out, 100'000U);
  EXPECT_EQ(s.lost + s.duplicated + s.reordered + s.corrupted + s.delayed, 0U);
}

// Exact outputs for fixed seeds: any change to the draw order or the fault
// semantics shows here (update deliberately, never casually).
TEST(FaultInjector, FixedSeedGivesThisExactOutput) {
  ManualClock clock;
  FrameRecorder out;
  FaultInjector fi(
      out, clock,
      {.seed = 42, .loss = 0.2, .duplicate = 0.1, .reorder = 0.15, .reorder_distance = 2});
  send_one_by_one(fi, frames(30));
  // Checked by hand: lost 3 4 6 9 12 21 23 28; duplicated 10 17 20; held 0
  // (out after 1 and 5), 2 (after 5 and 8), 7 (after 8 and the two 10s, which
  // pass it as one frame), 26 (after 27 and 29).
  EXPECT_EQ(indices(out.frames()),
            (std::vector<std::uint32_t>{1,  5,  0,  8,  2,  10, 10, 7,  11, 13, 14, 15, 16,
                                        17, 17, 18, 19, 20, 20, 22, 24, 25, 27, 29, 26}));
  const auto s = fi.stats();
  EXPECT_EQ(s.lost, 8U);
  EXPECT_EQ(s.duplicated, 3U);
  EXPECT_EQ(s.reordered, 4U);
  EXPECT_EQ(fi.poll(clock.now()), Instant::max());
}

TEST(FaultInjector, SameSeedSameOutputDifferentSeedDifferentOutput) {
  auto run = [](std::uint64_t seed) {
    ManualClock clock;
    FrameRecorder out;
    FaultInjector fi(out, clock,
                     {.seed = seed,
                      .loss = 0.1,
                      .duplicate = 0.1,
                      .reorder = 0.1,
                      .reorder_distance = 3,
                      .corrupt = 0.2,
                      .jitter = 5ms});
    const auto in = frames(2000);
    for (std::size_t i = 0; i < in.size(); i += 10) {
      std::vector<ByteSpan> b(in.begin() + static_cast<std::ptrdiff_t>(i),
                              in.begin() + static_cast<std::ptrdiff_t>(i + 10));
      fi.send_frames(b);
      clock.advance(1ms);
      fi.poll(clock.now());
    }
    clock.advance(1s);
    fi.poll(clock.now());
    return out.frames();
  };
  const auto a = run(1);
  EXPECT_EQ(a, run(1));
  EXPECT_NE(a, run(2));
}

TEST(FaultInjector, LossOneDropsEverything) {
  ManualClock clock;
  FrameRecorder out;
  FaultInjector fi(out, clock, {.seed = 1, .loss = 1.0});
  send_one_by_one(fi, frames(100));
  EXPECT_EQ(out.size(), 0U);
  EXPECT_EQ(fi.stats().lost, 100U);
}

TEST(FaultInjector, DuplicateOneSendsEachFrameTwiceBackToBack) {
  ManualClock clock;
  FrameRecorder out;
  FaultInjector fi(out, clock, {.seed = 1, .duplicate = 1.0});
  const auto in = frames(5);
  const std::vector<ByteSpan> b(in.begin(), in.end());
  fi.send_frames(b);
  EXPECT_EQ(indices(out.frames()), (std::vector<std::uint32_t>{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}));
  EXPECT_EQ(fi.stats().duplicated, 5U);
  EXPECT_EQ(fi.stats().frames_out, 10U);
}

TEST(FaultInjector, CorruptionFlipsExactlyOneBitAfterTheEthernetHeader) {
  ManualClock clock;
  FrameRecorder out;
  FaultInjector fi(out, clock, {.seed = 3, .corrupt = 1.0});
  std::vector<Bytes> in;
  for (std::uint32_t i = 0; i < 500; ++i) in.push_back(frame(i, 15 + i % 100));
  in.push_back(Bytes(14, std::byte{1}));  // header only: nothing to corrupt
  const std::vector<ByteSpan> b(in.begin(), in.end());
  fi.send_frames(b);
  const auto got = out.frames();
  ASSERT_EQ(got.size(), in.size());
  for (std::size_t i = 0; i + 1 < in.size(); ++i) {
    ASSERT_EQ(got[i].size(), in[i].size());
    int flipped = 0;
    for (std::size_t k = 0; k < in[i].size(); ++k) {
      const auto diff = std::to_integer<unsigned>(got[i][k] ^ in[i][k]);
      if (diff != 0) {
        EXPECT_GE(k, 14U) << "header byte " << k << " of frame " << i;
      }
      flipped += std::popcount(diff);
    }
    EXPECT_EQ(flipped, 1) << i;
  }
  EXPECT_EQ(got.back(), in.back());
  EXPECT_EQ(fi.stats().corrupted, 500U);
}

TEST(FaultInjector, ReorderedFramesFollowTheNextNFrames) {
  ManualClock clock;
  FrameRecorder out;
  // Every 4th frame held back (the draws decide which; reorder = 1 would hold
  // all and none would pass them), distance 2.
  FaultInjector fi(out, clock, {.seed = 9, .reorder = 0.25, .reorder_distance = 2});
  send_one_by_one(fi, frames(1000));
  clock.advance(1s);
  fi.poll(clock.now());
  const auto got = indices(out.frames());
  ASSERT_EQ(got.size(), 1000U);
  auto sorted = got;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, iota(1000));  // nothing lost, nothing added
  EXPECT_GT(fi.stats().reordered, 150U);
  EXPECT_LT(fi.stats().reordered, 350U);
  // Frames not held go out in order, so a frame is held exactly when a higher
  // index precedes it; it must follow exactly 2 frames that were not held
  // (fewer only for the last ones, released by the timeout).
  std::vector<bool> held(1000, false);
  std::uint32_t highest = 0;
  for (std::uint32_t x : got) {
    held[x] = x < highest;
    highest = std::max(highest, x);
  }
  std::size_t displaced = 0;
  for (std::size_t p = 0; p < got.size(); ++p) {
    if (!held[got[p]]) continue;
    ++displaced;
    std::size_t passed = 0;
    for (std::size_t q = 0; q < p; ++q) passed += !held[got[q]] && got[q] > got[p];
    const bool tail = std::none_of(got.begin() + static_cast<std::ptrdiff_t>(p), got.end(),
                                   [&](std::uint32_t y) { return !held[y]; });
    if (tail) {
      EXPECT_LE(passed, 2U) << got[p];
    } else {
      EXPECT_EQ(passed, 2U) << got[p];
    }
  }
  EXPECT_EQ(displaced, fi.stats().reordered);
}

TEST(FaultInjector, HeldFrameLeavesAtItsTimeoutWhenTrafficStops) {
  ManualClock clock(Instant::from_nanos(1'000));
  FrameRecorder out;
  FaultInjector fi(out, clock,
                   {.seed = 1, .reorder = 1.0, .reorder_distance = 5, .reorder_timeout = 3ms});
  send_one_by_one(fi, frames(1));
  EXPECT_EQ(out.size(), 0U);
  const Instant deadline = clock.now() + 3ms;
  EXPECT_EQ(fi.poll(clock.now()), deadline);
  EXPECT_EQ(fi.poll(deadline - 1ns), deadline);
  EXPECT_EQ(out.size(), 0U);
  EXPECT_EQ(fi.poll(deadline), Instant::max());
  EXPECT_EQ(indices(out.frames()), std::vector<std::uint32_t>{0});
}

TEST(FaultInjector, FixedDelayHoldsFramesUntilTheirDeadlineInOrder) {
  ManualClock clock(Instant::from_nanos(500));
  FrameRecorder out;
  FaultInjector fi(out, clock, {.seed = 1, .delay = 10ms});
  const auto in = frames(3);
  const std::vector<ByteSpan> b(in.begin(), in.end());
  fi.send_frames(b);
  const Instant due = clock.now() + 10ms;
  clock.advance(4ms);
  const auto later = frames(4);
  const ByteSpan d[] = {later[3]};
  fi.send_frames(d);
  EXPECT_EQ(out.size(), 0U);
  EXPECT_EQ(fi.poll(due - 1ns), due);
  EXPECT_EQ(out.size(), 0U);
  EXPECT_EQ(fi.poll(due), due + 4ms);
  EXPECT_EQ(indices(out.frames()), (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_EQ(out.batches(), 1U);
  EXPECT_EQ(fi.poll(due + 4ms), Instant::max());
  EXPECT_EQ(indices(out.frames()), (std::vector<std::uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(fi.stats().delayed, 4U);
}

TEST(FaultInjector, SendFramesReleasesDueFramesFirst) {
  ManualClock clock;
  FrameRecorder out;
  FaultInjector fi(out, clock, {.seed = 1, .delay = 1ms});
  send_one_by_one(fi, frames(1));
  clock.advance(2ms);
  const Bytes f = frame(1);
  const ByteSpan one[] = {f};
  fi.send_frames(one);  // releases frame 0; frame 1 waits its own 1 ms
  EXPECT_EQ(indices(out.frames()), std::vector<std::uint32_t>{0});
}

TEST(FaultInjector, JitterStaysWithinItsBoundAndReordersByDeadline) {
  ManualClock clock;
  FrameRecorder out;
  FaultInjector fi(out, clock, {.seed = 5, .delay = 1ms, .jitter = 2ms});
  send_one_by_one(fi, frames(200));
  EXPECT_GE(fi.poll(clock.now()), clock.now() + 1ms);
  EXPECT_EQ(out.size(), 0U);
  fi.poll(clock.now() + 1ms + 2ms);
  const auto got = indices(out.frames());
  ASSERT_EQ(got.size(), 200U);
  EXPECT_NE(got, iota(200));  // equal send times, random deadlines
  auto sorted = got;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, iota(200));
}

// Rates over 100,000 frames within 5 standard deviations of the expectation
// (a false failure about once in 3.5 million runs; the seed is fixed anyway).
TEST(FaultInjector, RatesMatchTheirProbabilities) {
  ManualClock clock;
  FrameRecorder out;
  const FaultConfig c{.seed = 2024,
                      .loss = 0.1,
                      .duplicate = 0.05,
                      .reorder = 0.03,
                      .reorder_distance = 4,
                      .corrupt = 0.02};
  FaultInjector fi(out, clock, c);
  constexpr std::uint32_t kN = 100'000;
  const auto in = frames(kN);
  for (std::size_t i = 0; i < kN; i += 50) {
    std::vector<ByteSpan> b(in.begin() + static_cast<std::ptrdiff_t>(i),
                            in.begin() + static_cast<std::ptrdiff_t>(i + 50));
    fi.send_frames(b);
  }
  clock.advance(1s);
  fi.poll(clock.now());
  const auto s = fi.stats();
  auto within = [](std::uint64_t count, double n, double p) {
    const double sigma = std::sqrt(n * p * (1 - p));
    return std::abs(static_cast<double>(count) - n * p) < 5 * sigma;
  };
  EXPECT_TRUE(within(s.lost, kN, 0.1)) << s.lost;
  const double kept = static_cast<double>(kN - s.lost);
  EXPECT_TRUE(within(s.duplicated, kept, 0.05)) << s.duplicated;
  EXPECT_TRUE(within(s.reordered, kept, 0.03)) << s.reordered;
  EXPECT_TRUE(within(s.corrupted, kept, 0.02)) << s.corrupted;
  EXPECT_EQ(s.frames_out, kN - s.lost + s.duplicated);
  EXPECT_EQ(out.size(), s.frames_out);
}

}  // namespace
}  // namespace weft::tap

namespace weft::tap {
namespace {

TEST(FaultInjector, FixedSeedCorruptsTheseBitsAndDelaysByTheseJitters) {
  ManualClock clock;
  testing::FrameRecorder out;
  FaultInjector fi(out, clock, {.seed = 11, .corrupt = 0.5, .jitter = 1000ns});
  const auto in = frames(6);
  const std::vector<ByteSpan> b(in.begin(), in.end());
  fi.send_frames(b);
  // Each deadline releases one frame; the order is the order of the draws'
  // jitters, and frames 5 and 0 carry one flipped bit each.
  std::vector<std::int64_t> deadlines;
  for (Instant t = fi.poll(clock.now()); t != Instant::max(); t = fi.poll(t)) {
    deadlines.push_back(t.nanos());
  }
  EXPECT_EQ(deadlines, (std::vector<std::int64_t>{96, 239, 352, 436, 849, 984}));
  EXPECT_EQ(indices(out.frames()), (std::vector<std::uint32_t>{5, 3, 4, 0, 2, 1}));
  auto expected = in;
  expected[5][51] ^= std::byte{0x80};
  expected[0][43] ^= std::byte{0x20};
  const auto got = out.frames();
  ASSERT_EQ(got.size(), 6U);
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k], expected[indices(got)[k]]) << k;
  }
  EXPECT_EQ(fi.stats().corrupted, 2U);
  EXPECT_EQ(out.batches(), 6U);
}

TEST(FaultInjector, TwoSendersAndAPollerShareOneInjector) {
  ManualClock clock;
  testing::FrameRecorder out;
  FaultInjector fi(out, clock,
                   {.seed = 8, .loss = 0.1, .duplicate = 0.1, .reorder = 0.1, .jitter = 100us});
  auto send = [&](std::uint32_t base) {
    for (std::uint32_t i = 0; i < 5000; ++i) {
      const Bytes f = frame(base + i);
      const ByteSpan one[] = {f};
      fi.send_frames(one);
      if (i % 100 == 0) clock.advance(10us);
    }
  };
  std::thread a(send, 0);
  std::thread b(send, 100'000);
  std::thread poller([&] {
    for (int i = 0; i < 1000; ++i) fi.poll(clock.now());
  });
  a.join();
  b.join();
  poller.join();
  // A frame released from its delay may then be held to be reordered, for up
  // to reorder_timeout after that: one poll to release, one for what it held.
  clock.advance(1s);
  fi.poll(clock.now());
  clock.advance(1s);
  EXPECT_EQ(fi.poll(clock.now()), Instant::max());
  const auto s = fi.stats();
  EXPECT_EQ(s.frames_in, 10'000U);
  EXPECT_EQ(s.frames_out, s.frames_in - s.lost + s.duplicated);
  EXPECT_EQ(out.size(), s.frames_out);
}

}  // namespace
}  // namespace weft::tap
