#include "osdep/datagram_loop.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace weft::osdep {
namespace {

using namespace std::chrono_literals;

Bytes bytes_of(const std::string& s) {
  Bytes b(s.size());
  std::transform(s.begin(), s.end(), b.begin(), [](char c) { return static_cast<std::byte>(c); });
  return b;
}

// Echoes every datagram back with one flush per batch, and records ticks.
class Echo final : public DatagramHandler {
 public:
  explicit Echo(DatagramLoop& loop) : loop_(loop) {}

  void on_datagrams(Instant /*now*/, std::span<const Datagram> batch) override {
    std::lock_guard lock(mu_);
    for (const auto& d : batch) {
      received_.emplace_back(d.data.begin(), d.data.end());
      outbox_.add(d.from, d.data);
    }
    outbox_.flush(loop_.socket());
    ++batches_;
    cv_.notify_all();
  }
  Instant on_tick(Instant /*now*/) override {
    std::lock_guard lock(mu_);
    ++ticks_;
    cv_.notify_all();
    return Instant::max();  // nothing timed: only datagrams and requests wake it
  }

  template <typename Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return pred(); });
  }

  DatagramLoop& loop_;
  std::mutex mu_;
  std::condition_variable cv_;
  Outbox outbox_;
  std::vector<Bytes> received_;
  int batches_{0};
  int ticks_{0};
};

TEST(DatagramLoopTest, ReceivesBatchesAnswersAndStops) {
  auto loop = DatagramLoop::open(Endpoint::loopback_v4(0));
  ASSERT_TRUE(loop);
  Echo echo(**loop);
  SteadyClock clock;
  ASSERT_TRUE((*loop)->start(echo, clock));
  EXPECT_EQ((*loop)->start(echo, clock).error(), Error::invalid_state);

  auto client = UdpSocket::bind(Endpoint::loopback_v4(0));
  ASSERT_TRUE(client);
  std::vector<Bytes> sent;
  for (int i = 0; i < 100; ++i) sent.push_back(bytes_of("datagram " + std::to_string(i)));
  for (const auto& d : sent) {
    const UdpSocket::SendItem item{d, (*loop)->local()};
    ASSERT_TRUE(client->send_batch(std::span(&item, 1)));
  }
  ASSERT_TRUE(echo.wait([&] { return echo.received_.size() == sent.size(); }));
  EXPECT_EQ(echo.received_, sent);

  // Every datagram came back, byte for byte.
  std::vector<Bytes> back;
  Bytes storage(2048 * UdpSocket::kMaxBatch);
  std::vector<UdpSocket::RecvSlot> slots(UdpSocket::kMaxBatch);
  for (std::size_t i = 0; i < slots.size(); ++i)
    slots[i].buffer = MutableByteSpan(storage).subspan(i * 2048, 2048);
  auto poller_or = Poller::create();
  ASSERT_TRUE(poller_or);
  Poller& poller = *poller_or;
  ASSERT_TRUE(poller.add(client->fd(), 1));
  while (back.size() < sent.size()) {
    std::array<std::uint64_t, 1> t{};
    auto ready = poller.wait(t, 10s);
    ASSERT_TRUE(ready);
    ASSERT_EQ(ready->count, 1U);
    auto n = client->recv_batch(slots);
    if (!n) continue;
    for (std::size_t i = 0; i < *n; ++i) {
      const ByteSpan got = ByteSpan(slots[i].buffer).first(slots[i].size);
      back.emplace_back(got.begin(), got.end());
      EXPECT_EQ(slots[i].from, (*loop)->local());
    }
  }
  EXPECT_EQ(back, sent);
  EXPECT_EQ((*loop)->stats().datagrams_received, sent.size());

  // A tick on request, with no datagram and no deadline.
  int ticks = 0;
  echo.wait([&] {
    ticks = echo.ticks_;
    return true;
  });
  (*loop)->request_tick();
  EXPECT_TRUE(echo.wait([&] { return echo.ticks_ > ticks; }));

  (*loop)->stop();
  (*loop)->stop();  // idempotent
}

TEST(DatagramLoopTest, DropsAndCountsOversizedDatagrams) {
  DatagramLoop::Options o;
  o.max_datagram = 64;
  auto loop = DatagramLoop::open(Endpoint::loopback_v4(0), o);
  ASSERT_TRUE(loop);
  Echo echo(**loop);
  SteadyClock clock;
  ASSERT_TRUE((*loop)->start(echo, clock));
  auto client = UdpSocket::bind(Endpoint::loopback_v4(0));
  ASSERT_TRUE(client);
  const Bytes big(65, std::byte{1});
  const Bytes small(64, std::byte{2});
  const UdpSocket::SendItem items[] = {{big, (*loop)->local()}, {small, (*loop)->local()}};
  ASSERT_EQ(client->send_batch(items).value_or(0), 2U);
  ASSERT_TRUE(echo.wait([&] { return echo.received_.size() == 1; }));
  EXPECT_EQ(echo.received_[0], small);
  EXPECT_EQ((*loop)->stats().oversized_dropped, 1U);
}

TEST(DatagramLoopTest, RefusesNonsenseSizes) {
  DatagramLoop::Options o;
  o.max_datagram = 0;
  EXPECT_EQ(DatagramLoop::open(Endpoint::loopback_v4(0), o).error(), Error::invalid_argument);
}

TEST(OutboxTest, FlushSendsAllAndEmpties) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4(0));
  auto b = UdpSocket::bind(Endpoint::loopback_v4(0));
  ASSERT_TRUE(a && b);
  Outbox box;
  box.add(b->local(), bytes_of("one"));
  box.add(b->local(), bytes_of("two"));
  EXPECT_EQ(box.size(), 2U);
  const auto f = box.flush(*a);
  EXPECT_EQ(f.sent, 2U);
  EXPECT_EQ(f.dropped, 0U);
  EXPECT_TRUE(box.empty());
  // A destination the kernel refuses (port 0) is dropped and counted; the rest still go.
  box.add(Endpoint::loopback_v4(0), bytes_of("nowhere"));
  box.add(b->local(), bytes_of("three"));
  const auto g = box.flush(*a);
  EXPECT_EQ(g.sent, 1U);
  EXPECT_EQ(g.dropped, 1U);
}

}  // namespace
}  // namespace weft::osdep
