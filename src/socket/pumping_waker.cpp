#include "socket/pumping_waker.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "osdep/unique_fd.hpp"

namespace weft::socket {

using Clock = std::chrono::steady_clock;

namespace {

// One per thread that ever blocked in a SocketTable, for the thread's life
// (-1 if the kernel had none to give).
int thread_event_fd() {
  thread_local const osdep::UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  return fd.get();
}

// What a wait polls (this thread's eventfd, then the pumps' sockets) and the
// pumps in the same order. Per thread, not per waker, so a blocking call
// allocates nothing: a thread waits in one call at a time, and a pump never
// waits.
struct PollSet {
  std::vector<pollfd> fds;
  std::vector<tap::ReceivePump*> pumps;
};
PollSet& thread_poll_set() {
  thread_local PollSet set;
  return set;
}

// The waker whose thread is inside a pump: the frames it puts into the stack
// may wake it, and it re-checks after pumping anyway (no eventfd round trip).
thread_local const PumpingWaker* t_pumping = nullptr;

}  // namespace

PumpingWaker::PumpingWaker(ReceivePumps* pumps, stack::StackDriver* stack, For waits_for)
    : pumps_(pumps), stack_(stack), event_fd_(thread_event_fd()) {
  if (pumps_ != nullptr && waits_for == For::acks) {
    // Someone who receives must take the ACKs: not a thread lingering.
    pumps_->stop_lingering();
    pumps_ = nullptr;
  }
  if (event_fd_ < 0) {
    pumps_ = nullptr;
    fallback_ = std::make_unique<stack::CvWaker>();
  }
  // Only on blocking, never on a later wait of the same call: two blocked
  // threads would otherwise take it from each other without end.
  if (pumps_ != nullptr) pumps_->claim(*this);
}

PumpingWaker::~PumpingWaker() {
  if (pumps_ != nullptr) pumps_->leave(*this);
}

void PumpingWaker::wake() noexcept {
  if (t_pumping == this) return;
  if (event_fd_ < 0) {
    fallback_->wake();
    return;
  }
  const std::uint64_t one = 1;
  // Fails only when the counter is full, and then it is readable already.
  (void)!::write(event_fd_, &one, sizeof one);
}

bool PumpingWaker::on_input_thread() const noexcept { return t_pumping == this; }

bool PumpingWaker::wait_until(std::optional<Clock::time_point> deadline) {
  if (stack_ != nullptr) stack_->send_held_acks();
  if (event_fd_ < 0) {
    if (!deadline) {
      fallback_->wait();
      return true;
    }
    return fallback_->wait_until(*deadline);
  }
  auto& [fds, ready_pumps] = thread_poll_set();
  fds.clear();
  ready_pumps.clear();
  fds.push_back({event_fd_, POLLIN, 0});
  if (pumps_ != nullptr && pumps_->receives(*this)) pumps_->collect(fds, ready_pumps);
  timespec timeout{};
  if (deadline) {
    const auto left = *deadline - Clock::now();
    if (left <= Clock::duration::zero()) return false;
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(left);
    timeout.tv_sec = static_cast<time_t>(s.count());
    timeout.tv_nsec = static_cast<long>(std::chrono::nanoseconds(left - s).count());
  }
  const int n = ::ppoll(fds.data(), fds.size(), deadline ? &timeout : nullptr, nullptr);
  if (n == 0) return false;
  if (n < 0) return true;  // EINTR: the caller re-checks and waits again
  if (fds[0].revents != 0) {
    std::uint64_t count = 0;
    (void)!::read(event_fd_, &count, sizeof count);
  }
  for (std::size_t i = 1; i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    if ((fds[i].revents & POLLNVAL) != 0) continue;
    t_pumping = this;
    pumps_->pump(ready_pumps[i - 1]);
    t_pumping = nullptr;
  }
  return true;
}

}  // namespace weft::socket
