#include "tap/dev_link.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "base/mac.hpp"
#include "base/manual_clock.hpp"
#include "osdep/files.hpp"
#include "tap/fault_injector.hpp"
#include "tap/pcap_writer.hpp"
#include "unit/tap/frame_recorder.hpp"

namespace weft::tap {
namespace {

using osdep::Endpoint;
using testing::FrameRecorder;

// A frame of `size` bytes whose contents identify (direction, index).
Bytes make_frame(std::size_t size, std::uint32_t id) {
  Bytes f(size);
  for (std::size_t i = 0; i < size; ++i) {
    f[i] = static_cast<std::byte>((id * 131 + i * 7 + (id >> 8)) & 0xff);
  }
  store_be32(std::span<std::byte, 4>(f.data(), 4), id);
  return f;
}

// One end: a tap whose network side is a dev link and whose stack side records.
struct End {
  explicit End(const Endpoint& lo, osdep::UdpSocket::Options options = {})
      : tap(*Mac::parse("02:00:00:00:00:01"), 1500) {
    auto l = DevLink::open(lo, options);
    EXPECT_TRUE(l.ok());
    link = std::move(*l);
    tap.attach_network(link.get());
    tap.attach_stack(&stack);
  }
  // Destroyed in reverse: the link (joining its thread) before what it feeds.
  FrameRecorder stack;
  Tap tap;
  std::unique_ptr<DevLink> link;
};

// Sends frames through `from`'s tap in batches of 1..64, never more than
// `window` ahead of what `to` has received: a UDP receiver drops what it cannot
// queue, and this test is about bytes, not about overload.
void pump(End& from, End& to, const std::vector<Bytes>& frames, std::size_t window = 512) {
  std::size_t sent = 0;
  std::size_t batch = 1;
  while (sent < frames.size()) {
    const std::size_t n = std::min({batch, frames.size() - sent, std::size_t{64}});
    if (sent + n > window) {
      ASSERT_TRUE(to.stack.wait_for(sent + n - window)) << "stalled at " << to.stack.size();
    }
    std::vector<ByteSpan> spans(frames.begin() + static_cast<std::ptrdiff_t>(sent),
                                frames.begin() + static_cast<std::ptrdiff_t>(sent + n));
    from.tap.transmit(spans);
    sent += n;
    batch = batch % 64 + 7;
  }
}

std::vector<Bytes> mixed_frames(std::size_t count, std::uint32_t direction) {
  std::vector<Bytes> frames;
  for (std::uint32_t i = 0; i < count; ++i) {
    // Sizes cycle through the minimum header, small, odd and full-size frames.
    const std::size_t size = 14 + (i * 397) % (1514 - 14 + 1);
    frames.push_back(make_frame(size, direction << 24U | i));
  }
  return frames;
}

void exchange(const Endpoint& lo, osdep::UdpSocket::Options options = {}) {
  End a(lo, options);
  End b(lo, options);
  ASSERT_TRUE(a.link->start(b.link->local(), a.tap).ok());
  ASSERT_TRUE(b.link->start(a.link->local(), b.tap).ok());
  const auto ab = mixed_frames(10'000, 1);
  const auto ba = mixed_frames(10'000, 2);
  std::thread t1([&] { pump(a, b, ab); });
  std::thread t2([&] { pump(b, a, ba); });
  t1.join();
  t2.join();
  ASSERT_TRUE(b.stack.wait_for(ab.size()));
  ASSERT_TRUE(a.stack.wait_for(ba.size()));
  a.link->stop();
  b.link->stop();
  EXPECT_EQ(b.stack.frames(), ab);
  EXPECT_EQ(a.stack.frames(), ba);
  const auto sa = a.link->stats();
  const auto sb = b.link->stats();
  EXPECT_EQ(sa.frames_sent, 10'000U);
  EXPECT_EQ(sb.frames_received, 10'000U);
  EXPECT_EQ(sa.send_dropped + sa.foreign_dropped + sa.truncated_dropped + sa.receive_errors, 0U);
  // One tap.put per received batch, and batching happened. (The tap hands
  // its sink at most 64 frames at a time, so a GRO batch may become several.)
  if (options.gro) {
    EXPECT_LE(sb.batches_received, b.stack.batches());
    EXPECT_LE(sa.batches_received, a.stack.batches());
  } else {
    EXPECT_EQ(sb.batches_received, b.stack.batches());
    EXPECT_EQ(sa.batches_received, a.stack.batches());
  }
  EXPECT_LT(sb.batches_received, 10'000U);
  // Sends went out in batches too: far fewer system calls than frames.
  EXPECT_LT(a.link->socket_stats().send_calls, 10'000U / 4);
}

TEST(DevLink, ExchangesTenThousandMixedFramesBothWaysOverIpv4) {
  exchange(Endpoint::loopback_v4());
}
TEST(DevLink, ExchangesTenThousandMixedFramesBothWaysOverIpv6) {
  exchange(Endpoint::loopback_v6());
}
TEST(DevLink, ExchangesTenThousandMixedFramesWithoutGso) {
  exchange(Endpoint::loopback_v4(), {.gso = false});
}
TEST(DevLink, ExchangesTenThousandMixedFramesWithGsoAndGro) {
  exchange(Endpoint::loopback_v4(), {.gso = true, .gro = true});
}

TEST(DevLink, GroCoalescedRunsReachTheTapAsSeparateFramesInOneBatch) {
  End a(Endpoint::loopback_v4());
  End b(Endpoint::loopback_v4(), {.gro = true});
  ASSERT_TRUE(b.link->start(a.link->local(), b.tap).ok());
  ASSERT_TRUE(a.link->start(b.link->local(), a.tap).ok());
  std::vector<Bytes> frames;
  for (std::uint32_t i = 0; i < 30; ++i) frames.push_back(make_frame(1514, i));
  std::vector<ByteSpan> spans(frames.begin(), frames.end());
  a.tap.transmit(spans);
  ASSERT_TRUE(b.stack.wait_for(30));
  b.link->stop();
  EXPECT_EQ(b.stack.frames(), frames);
  EXPECT_EQ(a.link->socket_stats().gso_messages, 1U);
  EXPECT_EQ(b.stack.batches(), 1U);
  EXPECT_EQ(b.link->socket_stats().recv_calls, 1U);  // one recvmmsg for the whole run
}

// Middleware wraps either side of a tap: a pcap writer in front of a's link,
// a fault injector in front of b's stack. The injector draws per frame, not
// per batch, so however the receive thread batches, b's stack sees exactly
// what the same injector makes of the same frames in one batch.
TEST(DevLink, MiddlewareComposesOnBothSidesOfTheLink) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("weft-devlink-" + std::to_string(::getpid()) + ".pcap"))
                               .string();
  ManualClock clock;
  End a(Endpoint::loopback_v4());
  End b(Endpoint::loopback_v4());
  auto pcap = PcapWriter::open(path, clock, a.link.get());
  ASSERT_TRUE(pcap.ok());
  a.tap.attach_network(pcap->get());
  const FaultConfig faults{.seed = 77, .loss = 0.3, .duplicate = 0.2, .corrupt = 0.2};
  FaultInjector injector(b.stack, clock, faults);
  b.tap.attach_stack(&injector);
  ASSERT_TRUE(a.link->start(b.link->local(), a.tap).ok());
  ASSERT_TRUE(b.link->start(a.link->local(), b.tap).ok());

  const auto frames = mixed_frames(2000, 3);
  std::vector<ByteSpan> spans(frames.begin(), frames.end());
  FrameRecorder expected;
  FaultInjector model(expected, clock, faults);
  // The model also says how much b must have seen after each batch, which
  // keeps a window of 8 batches in flight (UDP drops what overflows).
  std::vector<std::size_t> seen_after;
  for (std::size_t i = 0; i < spans.size(); i += 50) {
    const auto batch = std::span(spans).subspan(i, 50);
    if (seen_after.size() >= 8) {
      ASSERT_TRUE(b.stack.wait_for(seen_after[seen_after.size() - 8]));
    }
    a.tap.transmit(batch);
    model.send_frames(batch);
    seen_after.push_back(expected.size());
  }
  ASSERT_TRUE(b.stack.wait_for(expected.size()));
  b.link->stop();
  EXPECT_EQ(b.stack.frames(), expected.frames());
  EXPECT_EQ(injector.stats().frames_in, 2000U);

  std::size_t bytes = 24;
  for (const Bytes& f : frames) bytes += 16 + f.size();
  EXPECT_EQ((*pcap)->stats().frames_written, 2000U);
  EXPECT_EQ(osdep::read_file(path, 8U << 20U).value_or("").size(), bytes);
  std::filesystem::remove(path);
}

TEST(DevLink, DropsAndCountsDatagramsFromOtherEndpoints) {
  End a(Endpoint::loopback_v4());
  End b(Endpoint::loopback_v4());
  ASSERT_TRUE(b.link->start(a.link->local(), b.tap).ok());
  ASSERT_TRUE(a.link->start(b.link->local(), a.tap).ok());
  auto stranger = osdep::UdpSocket::bind(Endpoint::loopback_v4());
  ASSERT_TRUE(stranger.ok());
  const Bytes injected = make_frame(60, 666);
  const osdep::UdpSocket::SendItem items[] = {{injected, b.link->local()},
                                              {injected, b.link->local()}};
  ASSERT_EQ(stranger->send_batch(items).value_or(0), 2U);
  // Then a frame from the peer: once it arrives, the strangers' datagrams
  // (sent earlier on the same loopback path) have been read and judged.
  const Bytes real = make_frame(60, 1);
  const ByteSpan one[] = {real};
  a.tap.transmit(one);
  ASSERT_TRUE(b.stack.wait_for(1));
  b.link->stop();
  EXPECT_EQ(b.stack.frames(), std::vector<Bytes>{real});
  EXPECT_EQ(b.link->stats().foreign_dropped, 2U);
}

TEST(DevLink, DropsAndCountsDatagramsLargerThanTheMtu) {
  End a(Endpoint::loopback_v4());
  End b(Endpoint::loopback_v4());
  ASSERT_TRUE(b.link->start(a.link->local(), b.tap).ok());
  ASSERT_TRUE(a.link->start(b.link->local(), a.tap).ok());
  // Straight into the link, past a's tap (which would refuse it).
  const Bytes jumbo = make_frame(1515, 7);
  const Bytes max = make_frame(1514, 8);
  const ByteSpan frames[] = {jumbo, max};
  a.link->send_frames(frames);
  ASSERT_TRUE(b.stack.wait_for(1));
  b.link->stop();
  EXPECT_EQ(b.stack.frames(), std::vector<Bytes>{max});
  EXPECT_EQ(b.link->stats().truncated_dropped, 1U);
}

TEST(DevLink, StopJoinsAnIdleReceiverAndIsIdempotent) {
  End a(Endpoint::loopback_v4());
  ASSERT_TRUE(a.link->start(Endpoint::loopback_v4(9), a.tap).ok());
  EXPECT_EQ(a.link->start(Endpoint::loopback_v4(9), a.tap).error(), Error::invalid_state);
  a.link->stop();
  a.link->stop();
  // The destructor of a started, never stopped link joins too (End b).
  End b(Endpoint::loopback_v4());
  ASSERT_TRUE(b.link->start(a.link->local(), b.tap).ok());
}

TEST(DevLink, WhileDeferringOnlyPumpReceivesAndOnTheCallersThread) {
  End a(Endpoint::loopback_v4());
  End b(Endpoint::loopback_v4());
  ASSERT_TRUE(a.link->start(b.link->local(), a.tap).ok());
  ASSERT_TRUE(b.link->start(a.link->local(), b.tap).ok());
  const auto frames = mixed_frames(5, 1);
  b.link->defer(true);
  pump(a, b, frames, frames.size());
  // Loopback delivers at once; B's own thread must leave the datagrams alone.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(b.stack.size(), 0U);
  b.link->pump();  // synchronous: the frames are in the tap when it returns
  EXPECT_EQ(b.stack.frames(), frames);
  b.link->pump();  // nothing waits: returns at once
  EXPECT_EQ(b.stack.size(), frames.size());

  b.link->defer(false);  // B's thread receives again
  const auto more = mixed_frames(3, 2);
  pump(a, b, more, more.size());
  ASSERT_TRUE(b.stack.wait_for(frames.size() + more.size()));
  b.link->stop();  // its counters are updated after the tap has the frames
  EXPECT_EQ(b.link->stats().frames_received, frames.size() + more.size());
}

TEST(DevLink, SendingBeforeStartDropsAndCounts) {
  End a(Endpoint::loopback_v4());
  const Bytes f = make_frame(60, 1);
  const ByteSpan frames[] = {f, f};
  a.link->send_frames(frames);
  EXPECT_EQ(a.link->stats().send_dropped, 2U);
  EXPECT_EQ(a.link->stats().frames_sent, 0U);
}

TEST(DevLink, RefusesAPeerOfTheOtherFamily) {
  End a(Endpoint::loopback_v4());
  EXPECT_EQ(a.link->start(Endpoint::loopback_v6(9), a.tap).error(), Error::invalid_argument);
}

}  // namespace
}  // namespace weft::tap
