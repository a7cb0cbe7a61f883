#include "osdep/datagram_loop.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "osdep/poller.hpp"

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
  // The loop's thread calls this handler until it is joined: join it first
  // (a test that returns early would otherwise leave it running on a dead Echo).
  ~Echo() override { loop_.stop(); }
  Echo(const Echo&) = delete;
  Echo& operator=(const Echo&) = delete;

  void on_datagrams(Instant /*now*/, std::span<const Datagram> batch) override {
    std::lock_guard lock(mu_);
    for (const auto& d : batch) {
      received_.emplace_back(d.data.begin(), d.data.end());
      outbox_.add(d.from, d.data);
    }
    outbox_.flush(loop_.socket());
    ++batches_;
    batch_threads_.push_back(std::this_thread::get_id());
    tick_soon_ = soon_after_a_batch_;
    max_batch_ = std::max(max_batch_, batch.size());
    cv_.notify_all();
  }
  Instant on_tick(Instant now) override {
    std::lock_guard lock(mu_);
    ++ticks_;
    tick_threads_.push_back(std::this_thread::get_id());
    tick_times_.push_back(now);
    cv_.notify_all();
    if (std::exchange(tick_soon_, false)) return now + std::chrono::milliseconds(1);
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
  std::size_t max_batch_{0};
  int ticks_{0};
  std::vector<std::thread::id> batch_threads_;
  std::vector<std::thread::id> tick_threads_;
  std::vector<Instant> tick_times_;
  // Set: a batch makes the next tick ask for another 1 ms later.
  bool soon_after_a_batch_{false};
  bool tick_soon_{false};
};

bool send_to(UdpSocket& client, DatagramLoop& loop, const std::string& payload) {
  const Bytes b = bytes_of(payload);
  const UdpSocket::SendItem item{b, loop.local()};
  return client.send_batch(std::span(&item, 1)).value_or(0) == 1;
}

// Sends `payload` to a muted `loop` and waits (up to 10 s) until its socket is readable.
bool send_and_await(UdpSocket& client, DatagramLoop& loop, const std::string& payload) {
  if (!send_to(client, loop, payload)) return false;
  pollfd p{loop.receive_fd(), POLLIN, 0};
  return ::poll(&p, 1, 10'000) == 1;
}

TEST(DatagramLoopTest, ReceivesBatchesAnswersAndStops) {
  SteadyClock clock;  // declared first: it outlives the loop and its thread
  auto loop = DatagramLoop::open(Endpoint::loopback_v4(0));
  ASSERT_TRUE(loop);
  Echo echo(**loop);
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
  SteadyClock clock;  // declared first: it outlives the loop and its thread
  DatagramLoop::Options o;
  o.max_datagram = 64;
  auto loop = DatagramLoop::open(Endpoint::loopback_v4(0), o);
  ASSERT_TRUE(loop);
  Echo echo(**loop);
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

TEST(DatagramLoopTest, AnotherThreadReceivesInTheLoopsPlaceWhileItIsMuted) {
  SteadyClock clock;  // declared first: it outlives the loop and its thread
  auto loop = DatagramLoop::open(Endpoint::loopback_v4(0));
  ASSERT_TRUE(loop);
  Echo echo(**loop);
  ASSERT_TRUE((*loop)->start(echo, clock));
  ASSERT_TRUE(echo.wait([&] { return echo.ticks_ == 1; }));  // the loop's first tick
  auto client = UdpSocket::bind(Endpoint::loopback_v4(0));
  ASSERT_TRUE(client);

  (*loop)->mute(true);
  const auto wakeups = (*loop)->stats().wakeups;
  ASSERT_TRUE(send_and_await(*client, **loop, "pumped"));
  (*loop)->pump();
  {
    std::lock_guard lock(echo.mu_);
    ASSERT_EQ(echo.received_, std::vector<Bytes>{bytes_of("pumped")});
    // Handled and ticked here, as the loop's thread would have.
    EXPECT_EQ(echo.batch_threads_, std::vector{std::this_thread::get_id()});
    EXPECT_EQ(echo.tick_threads_.back(), std::this_thread::get_id());
  }
  EXPECT_EQ((*loop)->stats().batches_pumped, 1U);
  EXPECT_EQ((*loop)->stats().datagrams_received, 1U);
  // The muted loop's thread slept through it (nothing else wakes it here).
  EXPECT_EQ((*loop)->stats().wakeups, wakeups);
  // Nothing waits: a pump finds nothing and hands nothing over.
  (*loop)->pump();
  EXPECT_EQ((*loop)->stats().datagrams_received, 1U);

  // Unmuted, the loop's thread receives again.
  (*loop)->mute(false);
  ASSERT_TRUE(send_to(*client, **loop, "looped"));
  ASSERT_TRUE(echo.wait([&] { return echo.received_.size() == 2; }));
  std::lock_guard lock(echo.mu_);
  EXPECT_EQ(echo.received_[1], bytes_of("looped"));
  EXPECT_NE(echo.batch_threads_[1], std::this_thread::get_id());
}

TEST(DatagramLoopTest, TheLoopTicksAtADeadlineAPumpBroughtForward) {
  SteadyClock clock;  // declared first: it outlives the loop and its thread
  auto loop = DatagramLoop::open(Endpoint::loopback_v4(0));
  ASSERT_TRUE(loop);
  Echo echo(**loop);
  echo.soon_after_a_batch_ = true;  // set before start: read on the loop's thread
  ASSERT_TRUE((*loop)->start(echo, clock));
  ASSERT_TRUE(echo.wait([&] { return echo.ticks_ == 1; }));  // sleeping towards max()
  auto client = UdpSocket::bind(Endpoint::loopback_v4(0));
  ASSERT_TRUE(client);
  (*loop)->mute(true);
  ASSERT_TRUE(send_and_await(*client, **loop, "soon"));
  const auto wakeups = (*loop)->stats().wakeups;
  (*loop)->pump();  // its tick asks for one 1 ms later: the loop's thread must take it
  const auto main = std::this_thread::get_id();
  EXPECT_TRUE(echo.wait([&] {
    return std::count_if(echo.tick_threads_.begin(), echo.tick_threads_.end(),
                         [&](auto id) { return id != main; }) >= 2;
  }));
  // Woken once, by its timer at that deadline: not when the pump moved it.
  EXPECT_EQ((*loop)->stats().wakeups, wakeups + 1);
  std::lock_guard lock(echo.mu_);
  ASSERT_EQ(echo.tick_threads_.size(), 3U);  // loop, pump, loop
  EXPECT_EQ(echo.tick_threads_[1], main);
  EXPECT_GE(echo.tick_times_[2] - echo.tick_times_[1], std::chrono::milliseconds(1));
}

TEST(DatagramLoopTest, APumpAfterStopHandsNothingOver) {
  SteadyClock clock;  // declared first: it outlives the loop and its thread
  auto loop = DatagramLoop::open(Endpoint::loopback_v4(0));
  ASSERT_TRUE(loop);
  Echo echo(**loop);
  (*loop)->pump();  // not started: nothing to hand to
  ASSERT_TRUE((*loop)->start(echo, clock));
  (*loop)->stop();
  auto client = UdpSocket::bind(Endpoint::loopback_v4(0));
  ASSERT_TRUE(client);
  ASSERT_TRUE(send_and_await(*client, **loop, "late"));
  (*loop)->pump();
  std::lock_guard lock(echo.mu_);
  EXPECT_TRUE(echo.received_.empty());
  EXPECT_EQ((*loop)->stats().batches_pumped, 0U);
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

// Distinct contents per datagram, so mixing or reordering shows.
Bytes numbered(std::size_t size, std::size_t seed) {
  Bytes b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::byte>((i * 13 + seed * 5) & 0xff);
  return b;
}

// Receives `n` datagrams (splitting coalesced runs); fewer if none comes for 10 s.
std::vector<Bytes> receive_all(UdpSocket& s, std::size_t n) {
  auto poller = Poller::create();
  EXPECT_TRUE(poller && poller->add(s.fd(), 1));
  std::vector<Bytes> buffers(UdpSocket::kMaxBatch, Bytes(UdpSocket::kMaxGroBytes));
  std::vector<UdpSocket::RecvSlot> slots(UdpSocket::kMaxBatch);
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i].buffer = buffers[i];
  std::vector<Bytes> got;
  while (got.size() < n) {
    std::array<std::uint64_t, 1> t{};
    auto ready = poller->wait(t, 10s);
    if (!ready || ready->count == 0) break;
    auto r = s.recv_batch(slots);
    if (!r) continue;
    for (std::size_t i = 0; i < *r; ++i)
      for (std::size_t k = 0; k < slots[i].segments(); ++k) {
        const ByteSpan seg = slots[i].segment(k);
        got.emplace_back(seg.begin(), seg.end());
      }
  }
  return got;
}

// A sender, with or without GSO, and two receivers.
struct Sockets {
  explicit Sockets(bool gso)
      : a(UdpSocket::bind(Endpoint::loopback_v4(0), {.gso = gso})),
        b(UdpSocket::bind(Endpoint::loopback_v4(0))),
        c(UdpSocket::bind(Endpoint::loopback_v4(0))) {}
  Result<UdpSocket> a;
  Result<UdpSocket> b;
  Result<UdpSocket> c;
};

TEST(OutboxTest, RunsToOneDestinationGoAsBurstsAndEverythingArrivesInOrder) {
  for (const bool gso : {true, false}) {
    SCOPED_TRACE(gso ? "gso" : "no gso");
    Sockets s(gso);
    auto& [a, b, c] = s;
    ASSERT_TRUE(a && b && c);
    ASSERT_EQ(a->gso_enabled(), gso) << "kernel without UDP GSO";
    std::vector<Bytes> to_b;
    std::vector<Bytes> to_c;
    Outbox box;
    auto add = [&](UdpSocket& to, std::vector<Bytes>& log, Bytes d) {
      box.add(to.local(), d);
      log.push_back(std::move(d));
    };
    for (std::size_t i = 0; i < 5; ++i) add(*b, to_b, numbered(1000, i));  // a run
    add(*c, to_c, numbered(80, 5));                                        // alone
    add(*b, to_b, numbered(700, 6));  // a run with a shorter last datagram
    add(*b, to_b, numbered(700, 7));
    add(*b, to_b, numbered(300, 8));
    add(*c, to_c, numbered(90, 9));
    const auto f = box.flush(*a);
    EXPECT_EQ(f.sent, 10U);
    EXPECT_EQ(f.dropped, 0U);
    EXPECT_TRUE(box.empty());
    // Two runs, one GSO message each; the two datagrams to c by sendmmsg.
    EXPECT_EQ(a->stats().gso_messages, gso ? 2U : 0U);
    EXPECT_EQ(receive_all(*b, to_b.size()), to_b);
    EXPECT_EQ(receive_all(*c, to_c.size()), to_c);
  }
}

TEST(OutboxTest, LeadingFragmentsGatherIntoBurstsAndMessagesStillCompleteInOrder) {
  for (const bool gso : {true, false}) {
    SCOPED_TRACE(gso ? "gso" : "no gso");
    Sockets s(gso);
    auto& [a, b, c] = s;
    ASSERT_TRUE(a && b && c);
    ASSERT_EQ(a->gso_enabled(), gso) << "kernel without UDP GSO";
    // Forty messages to b of a 1,000-byte fragment that may lead and a
    // 100-byte last one; then one to c, and two more to b.
    constexpr std::size_t kMessages = 40;
    std::vector<Bytes> leads;
    std::vector<Bytes> lasts;
    Outbox box;
    auto message = [&](UdpSocket& to, std::size_t i) {
      leads.push_back(numbered(1000, i));
      lasts.push_back(numbered(100, i));
      box.add(to.local(), leads.back(), Outbox::Order::may_lead);
      box.add(to.local(), lasts.back());
    };
    for (std::size_t i = 0; i < kMessages; ++i) message(*b, i);
    message(*c, kMessages);
    message(*b, kMessages + 1);
    message(*b, kMessages + 2);
    const auto f = box.flush(*a);
    EXPECT_EQ(f.sent, 2 * (kMessages + 3));
    EXPECT_EQ(f.dropped, 0U);

    auto in_order = [&](std::size_t from, std::size_t to) {
      std::vector<Bytes> v;
      for (std::size_t i = from; i < to; ++i) v.insert(v.end(), {leads[i], lasts[i]});
      return v;
    };
    std::vector<Bytes> to_b;
    if (gso) {
      // Per kMaxOvertaken messages: their leading fragments, then their last ones.
      auto group = [&](std::size_t from, std::size_t to) {
        to_b.insert(to_b.end(), leads.begin() + from, leads.begin() + to);
        to_b.insert(to_b.end(), lasts.begin() + from, lasts.begin() + to);
      };
      static_assert(kMessages > Outbox::kMaxOvertaken);
      group(0, Outbox::kMaxOvertaken);
      group(Outbox::kMaxOvertaken, kMessages);
      // The message to c ends the run: the next two are a run of their own.
      group(kMessages + 1, kMessages + 3);
      // GSO messages (a run of equal sizes and at most one shorter datagram
      // at its end): per group to b, the leads with the first last fragment,
      // then the other last fragments (the last group's second part is one
      // datagram, sent plain); c's message. Kept in the order they were
      // added, the 43 messages would be one GSO message each.
      EXPECT_EQ(a->stats().gso_messages, 2U + 2U + 1U + 1U);
    } else {
      to_b = in_order(0, kMessages);  // no burst, nothing to gain: as added
      const auto tail = in_order(kMessages + 1, kMessages + 3);
      to_b.insert(to_b.end(), tail.begin(), tail.end());
    }
    EXPECT_EQ(receive_all(*b, to_b.size()), to_b);
    EXPECT_EQ(receive_all(*c, 2), in_order(kMessages, kMessages + 1));
  }
}

TEST(OutboxTest, ARunToARefusedDestinationIsDroppedAndCountedAndGsoStaysOn) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4(0));
  auto b = UdpSocket::bind(Endpoint::loopback_v4(0));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->gso_enabled()) << "kernel without UDP GSO";
  Outbox box;
  box.add(Endpoint::loopback_v4(0), bytes_of("nowhere 1"));
  box.add(Endpoint::loopback_v4(0), bytes_of("nowhere 2"));
  box.add(b->local(), bytes_of("there 1"));
  box.add(b->local(), bytes_of("there 2"));
  const auto f = box.flush(*a);
  EXPECT_EQ(f.sent, 2U);
  EXPECT_EQ(f.dropped, 2U);
  EXPECT_TRUE(a->gso_enabled());
  EXPECT_EQ(receive_all(*b, 2), (std::vector<Bytes>{bytes_of("there 1"), bytes_of("there 2")}));
}

TEST(DatagramLoopTest, WithGroHandsOverCoalescedRunsAsSingleDatagrams) {
  SteadyClock clock;  // declared first: it outlives the loop and its thread
  DatagramLoop::Options o;
  o.socket.gro = true;
  o.max_datagram = 1200;
  auto loop = DatagramLoop::open(Endpoint::loopback_v4(0), o);
  ASSERT_TRUE(loop);
  ASSERT_TRUE((*loop)->socket().gro_enabled()) << "kernel without UDP GRO";
  Echo echo(**loop);
  ASSERT_TRUE((*loop)->start(echo, clock));
  auto client = UdpSocket::bind(Endpoint::loopback_v4(0));
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->gso_enabled()) << "kernel without UDP GSO";

  auto burst = [&](const std::vector<Bytes>& d) {
    const std::vector<ByteSpan> spans(d.begin(), d.end());
    ASSERT_EQ(client->send_burst((*loop)->local(), spans).value_or(0), d.size());
  };
  std::vector<Bytes> run;
  for (std::size_t i = 0; i < 40; ++i) run.push_back(numbered(1000, i));
  run.push_back(numbered(300, 40));
  burst(run);
  // Each over max_datagram: dropped and counted one by one, even coalesced.
  burst({numbered(1300, 41), numbered(1300, 42), numbered(1300, 43)});
  burst({bytes_of("after")});

  std::vector<Bytes> expected = run;
  expected.push_back(bytes_of("after"));
  ASSERT_TRUE(echo.wait([&] { return echo.received_.size() == expected.size(); }));
  EXPECT_EQ(echo.received_, expected);
  EXPECT_EQ((*loop)->stats().oversized_dropped, 3U);
  EXPECT_EQ((*loop)->stats().datagrams_received, expected.size());
  EXPECT_GE(client->stats().gso_messages, 2U);
  (*loop)->stop();
}

TEST(DatagramLoopTest, HandsAGroReadOverAtMostABatchAtATime) {
  SteadyClock clock;  // declared first: it outlives the loop and its thread
  DatagramLoop::Options o;
  o.socket.gro = true;
  auto loop = DatagramLoop::open(Endpoint::loopback_v4(0), o);
  ASSERT_TRUE(loop);
  ASSERT_TRUE((*loop)->socket().gro_enabled()) << "kernel without UDP GRO";
  auto client = UdpSocket::bind(Endpoint::loopback_v4(0));
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->gso_enabled()) << "kernel without UDP GSO";
  // Three runs of 45 wait in the socket before the loop starts, so its first
  // recvmmsg takes all 135 datagrams at once.
  std::vector<Bytes> sent;
  for (std::size_t run = 0; run < 3; ++run) {
    std::vector<Bytes> d;
    for (std::size_t i = 0; i < 45; ++i) d.push_back(numbered(1000, run * 45 + i));
    const std::vector<ByteSpan> spans(d.begin(), d.end());
    ASSERT_EQ(client->send_burst((*loop)->local(), spans).value_or(0), d.size());
    sent.insert(sent.end(), d.begin(), d.end());
  }
  Echo echo(**loop);
  ASSERT_TRUE((*loop)->start(echo, clock));
  ASSERT_TRUE(echo.wait([&] { return echo.received_.size() == sent.size(); }));
  EXPECT_EQ(echo.received_, sent);
  EXPECT_EQ((*loop)->stats().batches_received, 1U);
  EXPECT_EQ(echo.max_batch_, UdpSocket::kMaxBatch);
  (*loop)->stop();
}

}  // namespace
}  // namespace weft::osdep
