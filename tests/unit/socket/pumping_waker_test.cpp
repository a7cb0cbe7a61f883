// A thread blocked in the socket table receives for the links itself
// (ReceivePumps, PumpingWaker), one thread at a time, the last to block, and
// goes on doing so for a while after its call returned (lingers).
#include "socket/pumping_waker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "support/recording_pump.hpp"

namespace weft::socket {
namespace {

using namespace std::chrono_literals;
using Clock = PumpingWaker::Clock;

using FakePump = test_support::RecordingPump;

// Long enough that only what a test does ends a lingering.
constexpr std::chrono::microseconds kForever = std::chrono::hours(1);

// ReceivePumps with one link.
struct OneLink {
  explicit OneLink(std::chrono::microseconds linger = ReceivePumps::kLinger) : pumps(linger) {
    pumps.add(link);
  }
  ~OneLink() { pumps.remove(link); }
  OneLink(const OneLink&) = delete;
  OneLink& operator=(const OneLink&) = delete;

  FakePump link;
  ReceivePumps pumps;
};

TEST(PumpingWaker, ABlockedThreadReceivesForTheLinkOnItsOwnThread) {
  OneLink net;
  auto& [link, pumps] = net;
  std::atomic<bool> waiting{false};
  std::thread::id waiter_id;
  bool returned = false;
  std::thread waiter([&] {
    waiter_id = std::this_thread::get_id();
    PumpingWaker w(&pumps, nullptr);
    waiting = true;
    returned = w.wait_until(Clock::now() + 30s);
  });
  while (!waiting) std::this_thread::yield();
  ASSERT_TRUE(link.arrive());
  waiter.join();
  EXPECT_TRUE(returned);
  EXPECT_EQ(link.pumped_on(), std::vector<std::thread::id>{waiter_id});
  // The link's own thread deferred while the waiter waited, and no longer.
  EXPECT_EQ(link.deferred(), (std::vector<bool>{true, false}));
}

TEST(PumpingWaker, OnlyTheLastThreadToBlockReceives) {
  OneLink net;
  auto& [link, pumps] = net;
  PumpingWaker first(&pumps, nullptr);
  EXPECT_TRUE(pumps.receives(first));
  std::thread::id second_id;
  std::atomic<bool> second_blocked{false};
  std::thread second([&] {
    second_id = std::this_thread::get_id();
    PumpingWaker w(&pumps, nullptr);
    second_blocked = true;
    EXPECT_TRUE(w.wait_until(Clock::now() + 30s));
  });
  while (!second_blocked) std::this_thread::yield();
  EXPECT_FALSE(pumps.receives(first));
  // The first was woken, so it stops waiting for the link; now it waits for
  // its own wake-up only, and the datagram is the second's.
  EXPECT_TRUE(first.wait_until(Clock::now() + 30s));
  ASSERT_TRUE(link.arrive());
  second.join();
  EXPECT_EQ(link.pumped_on(), std::vector<std::thread::id>{second_id});
  // The second stopped receiving when its thread exited. The first, which
  // still waits, receives again (woken, so it waits for the link once more)
  // instead of the link's thread: that one deferred throughout.
  EXPECT_TRUE(pumps.receives(first));
  EXPECT_TRUE(first.wait_until(Clock::now() + 30s));
  EXPECT_EQ(link.deferred(), std::vector<bool>{true});
  ASSERT_TRUE(link.arrive());
  EXPECT_TRUE(first.wait_until(Clock::now() + 30s));
  EXPECT_EQ(link.pumped_on(), (std::vector{second_id, std::this_thread::get_id()}));
}

// A thread that stopped waiting is no longer one to hand receiving back to.
TEST(PumpingWaker, AThreadThatLeftItsWaitDoesNotTakeTheLinksBack) {
  OneLink net(kForever);
  auto& [link, pumps] = net;
  std::optional<PumpingWaker> first(std::in_place, &pumps, nullptr);
  std::atomic<bool> second_waits{false};
  std::atomic<bool> first_left{false};
  std::thread second([&] {
    PumpingWaker w(&pumps, nullptr);
    second_waits = true;
    while (!first_left) std::this_thread::yield();
  });
  while (!second_waits) std::this_thread::yield();
  first.reset();  // taken over from, it leaves while the second still waits
  first_left = true;
  second.join();
  EXPECT_FALSE(pumps.lingering()) << "the second's exit ended its lingering";
  EXPECT_EQ(link.deferred(), (std::vector<bool>{true, false})) << "the link's thread receives";
}

TEST(PumpingWaker, AWaitWithoutPumpsNeitherReceivesNorDefers) {
  OneLink net;
  auto& [link, pumps] = net;
  ASSERT_TRUE(link.arrive());
  PumpingWaker w(nullptr, nullptr);
  EXPECT_FALSE(w.wait_until(Clock::now() + 50ms));
  EXPECT_TRUE(link.pumped_on().empty());
  EXPECT_TRUE(link.deferred().empty());
  // A wake() from another thread ends its wait.
  std::thread other([&] { w.wake(); });
  EXPECT_TRUE(w.wait_until(Clock::now() + 30s));
  other.join();
}

// A thread whose wait ended goes on receiving until it waits again: the
// links' threads are not unmuted and muted again around each of its calls.
TEST(PumpingWaker, AReceiverThatLeftItsWaitLingersUntilItWaitsAgain) {
  OneLink net(kForever);
  auto& [link, pumps] = net;
  { PumpingWaker w(&pumps, nullptr); }
  EXPECT_TRUE(pumps.lingering());
  // What arrives meanwhile is left to its next wait, on this thread.
  ASSERT_TRUE(link.arrive());
  {
    PumpingWaker w(&pumps, nullptr);
    EXPECT_FALSE(pumps.lingering());
    EXPECT_TRUE(w.wait_until(Clock::now() + 30s));
  }
  EXPECT_EQ(link.pumped_on(), std::vector{std::this_thread::get_id()});
  EXPECT_EQ(link.deferred(), std::vector<bool>{true}) << "the link deferred throughout";
}

// Room to send comes with the far end's ACKs, which the link's own thread
// must take meanwhile: a wait for them neither receives nor lets a thread
// that left its wait hold the link back.
TEST(PumpingWaker, AWaitForAcksLeavesReceivingToTheLinksThread) {
  OneLink net(kForever);
  auto& [link, pumps] = net;
  { PumpingWaker w(&pumps, nullptr); }
  ASSERT_TRUE(pumps.lingering());
  PumpingWaker w(&pumps, nullptr, PumpingWaker::For::acks);
  EXPECT_FALSE(pumps.lingering());
  EXPECT_FALSE(pumps.receives(w));
  ASSERT_TRUE(link.arrive());
  EXPECT_FALSE(w.wait_until(Clock::now() + 50ms)) << "it waited for the link";
  EXPECT_TRUE(link.pumped_on().empty());
  EXPECT_EQ(link.deferred(), (std::vector<bool>{true, false}));
}

TEST(PumpingWaker, ALingeringReceiverStopsOnceTheBoundPassed) {
  constexpr auto kBound = 200ms;
  OneLink net(kBound);
  auto& [link, pumps] = net;
  { PumpingWaker w(&pumps, nullptr); }
  std::this_thread::sleep_for(kBound * 3 / 4);
  // Waited and left again: the bound counts from this.
  const auto left = Clock::now();
  { PumpingWaker w(&pumps, nullptr); }
  const auto give_up = Clock::now() + 30s;
  while (pumps.lingering() && Clock::now() < give_up) std::this_thread::sleep_for(1ms);
  EXPECT_FALSE(pumps.lingering());
  EXPECT_GE(Clock::now() - left, kBound);
  ASSERT_FALSE(link.deferred().empty());
  EXPECT_FALSE(link.deferred().back()) << "the link's thread receives again";
}

// A thread per connection would otherwise leave the next connection's SYN to
// the bound.
TEST(PumpingWaker, AReceiverStopsLingeringWhenItsThreadExits) {
  OneLink net(kForever);
  auto& [link, pumps] = net;
  std::thread t([&] { PumpingWaker w(&pumps, nullptr); });
  t.join();
  EXPECT_FALSE(pumps.lingering());
  EXPECT_EQ(link.deferred(), (std::vector<bool>{true, false}));
}

TEST(PumpingWaker, AThreadThatBlocksTakesOverFromALingeringOneWithoutWakingIt) {
  OneLink net(kForever);
  auto& [link, pumps] = net;
  PumpingWaker mine(nullptr, nullptr);
  (void)mine.wait_until(Clock::now() + 1ms);  // drops wake-ups earlier tests left here
  { PumpingWaker w(&pumps, nullptr); }
  ASSERT_TRUE(pumps.lingering());
  std::thread::id other_id;
  std::atomic<bool> waiting{false};
  std::thread other([&] {
    other_id = std::this_thread::get_id();
    PumpingWaker w(&pumps, nullptr);
    waiting = true;
    EXPECT_TRUE(w.wait_until(Clock::now() + 30s));
  });
  while (!waiting) std::this_thread::yield();
  EXPECT_FALSE(pumps.lingering());
  ASSERT_TRUE(link.arrive());
  other.join();
  EXPECT_EQ(link.pumped_on(), std::vector{other_id});
  // Deferring from this thread's wait until the other thread exited.
  EXPECT_EQ(link.deferred(), (std::vector<bool>{true, false}));
  EXPECT_FALSE(mine.wait_until(Clock::now() + 20ms)) << "this thread was woken";
}

TEST(PumpingWaker, NoReceiverLingersWhileLingeringIsForbiddenOrWithoutLinks) {
  ReceivePumps pumps(kForever);
  { PumpingWaker w(&pumps, nullptr); }
  EXPECT_FALSE(pumps.lingering()) << "nothing to receive for";
  FakePump link;
  pumps.add(link);
  { PumpingWaker w(&pumps, nullptr); }
  EXPECT_TRUE(pumps.lingering());
  pumps.forbid_lingering(true);
  EXPECT_FALSE(pumps.lingering());
  { PumpingWaker w(&pumps, nullptr); }
  EXPECT_FALSE(pumps.lingering());
  EXPECT_EQ(link.deferred(), (std::vector<bool>{true, false, true, false}));
  pumps.forbid_lingering(false);
  { PumpingWaker w(&pumps, nullptr); }
  EXPECT_TRUE(pumps.lingering());
  pumps.remove(link);
}

// A stack that counts the calls asking it to send its held acknowledgements.
class CountingStack final : public stack::StackDriver {
 public:
  Result<std::unique_ptr<stack::Socket>> open(stack::Transport, stack::Family) override {
    return Error::unsupported;
  }
  void send_held_acks() noexcept override { calls.fetch_add(1); }
  std::atomic<int> calls{0};
};

// What a thread held for its answer leaves before it sleeps: a sleeping thread
// answers nothing.
TEST(PumpingWaker, EveryWaitFirstHasTheStackSendItsHeldAcks) {
  CountingStack stack;
  PumpingWaker w(nullptr, &stack);
  EXPECT_FALSE(w.wait_until(Clock::now() + 10ms));
  EXPECT_EQ(stack.calls.load(), 1);
  w.wake();
  EXPECT_TRUE(w.wait_until(Clock::now() + 30s));
  EXPECT_EQ(stack.calls.load(), 2);
}

// Only inside a pump is the waiting thread the stack's input thread.
TEST(PumpingWaker, IsOnTheInputThreadOnlyWhileItPumps) {
  OneLink net;
  auto& [link, pumps] = net;
  PumpingWaker w(&pumps, nullptr);
  EXPECT_FALSE(w.on_input_thread());
  link.on_pump([&] { EXPECT_TRUE(w.on_input_thread()); });
  ASSERT_TRUE(link.arrive());
  EXPECT_TRUE(w.wait_until(Clock::now() + 30s));
  EXPECT_EQ(link.pumped_on().size(), 1U);
  EXPECT_FALSE(w.on_input_thread());
}

TEST(PumpingWaker, AWakeBeforeTheWaitIsNotLost) {
  ReceivePumps pumps;
  PumpingWaker w(&pumps, nullptr);
  w.wake();
  EXPECT_TRUE(w.wait_until(Clock::now() + 30s));
  EXPECT_FALSE(w.wait_until(Clock::now() + 20ms)) << "consumed";
}

}  // namespace
}  // namespace weft::socket
