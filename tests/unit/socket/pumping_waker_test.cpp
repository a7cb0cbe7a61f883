// A thread blocked in the socket table receives for the links itself
// (ReceivePumps, PumpingWaker), one thread at a time, the last to block.
#include "socket/pumping_waker.hpp"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "osdep/unique_fd.hpp"

namespace weft::socket {
namespace {

using namespace std::chrono_literals;
using Clock = PumpingWaker::Clock;

// A link whose "datagrams" are an eventfd's count: pump() drains it and notes
// the thread it ran on; defer() notes what it was told.
class FakePump final : public tap::ReceivePump {
 public:
  FakePump() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  [[nodiscard]] int receive_fd() const noexcept override { return fd_.get(); }
  void pump() noexcept override {
    std::uint64_t n = 0;
    (void)!::read(fd_.get(), &n, sizeof n);
    if (on_pump_) on_pump_();
    std::lock_guard lock(mu_);
    pumped_on_.push_back(std::this_thread::get_id());
  }
  void defer(bool deferring) noexcept override {
    std::lock_guard lock(mu_);
    deferred_.push_back(deferring);
  }

  // Runs inside every later pump(), as a link's receive runs the stack's input.
  void on_pump(std::function<void()> f) { on_pump_ = std::move(f); }
  void arrive() {
    const std::uint64_t one = 1;
    ASSERT_EQ(::write(fd_.get(), &one, sizeof one), 8);
  }
  std::vector<std::thread::id> pumped_on() {
    std::lock_guard lock(mu_);
    return pumped_on_;
  }
  std::vector<bool> deferred() {
    std::lock_guard lock(mu_);
    return deferred_;
  }

 private:
  osdep::UniqueFd fd_;
  std::function<void()> on_pump_;
  std::mutex mu_;
  std::vector<std::thread::id> pumped_on_;
  std::vector<bool> deferred_;
};

TEST(PumpingWaker, ABlockedThreadReceivesForTheLinkOnItsOwnThread) {
  ReceivePumps pumps;
  FakePump link;
  pumps.add(link);
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
  link.arrive();
  waiter.join();
  EXPECT_TRUE(returned);
  EXPECT_EQ(link.pumped_on(), std::vector<std::thread::id>{waiter_id});
  // The link's own thread deferred while the waiter waited, and no longer.
  EXPECT_EQ(link.deferred(), (std::vector<bool>{true, false}));
  pumps.remove(link);
}

TEST(PumpingWaker, OnlyTheLastThreadToBlockReceives) {
  ReceivePumps pumps;
  FakePump link;
  pumps.add(link);
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
  link.arrive();
  EXPECT_FALSE(first.wait_until(Clock::now() + 50ms)) << "the first took the link";
  second.join();
  EXPECT_EQ(link.pumped_on(), std::vector<std::thread::id>{second_id});
  // Deferring began with the first, went on while the second took over, and
  // ended when the second (the receiver) left, though the first still waits.
  EXPECT_EQ(link.deferred(), (std::vector<bool>{true, false}));
  EXPECT_FALSE(pumps.receives(first));
  pumps.remove(link);
}

TEST(PumpingWaker, AWaitWithoutPumpsNeitherReceivesNorDefers) {
  ReceivePumps pumps;
  FakePump link;
  pumps.add(link);
  link.arrive();
  PumpingWaker w(nullptr, nullptr);
  EXPECT_FALSE(w.wait_until(Clock::now() + 50ms));
  EXPECT_TRUE(link.pumped_on().empty());
  EXPECT_TRUE(link.deferred().empty());
  // A wake() from another thread ends its wait.
  std::thread other([&] { w.wake(); });
  EXPECT_TRUE(w.wait_until(Clock::now() + 30s));
  other.join();
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
  ReceivePumps pumps;
  FakePump link;
  pumps.add(link);
  PumpingWaker w(&pumps, nullptr);
  EXPECT_FALSE(w.on_input_thread());
  link.on_pump([&] { EXPECT_TRUE(w.on_input_thread()); });
  link.arrive();
  EXPECT_TRUE(w.wait_until(Clock::now() + 30s));
  EXPECT_EQ(link.pumped_on().size(), 1U);
  EXPECT_FALSE(w.on_input_thread());
  pumps.remove(link);
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
