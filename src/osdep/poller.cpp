#include "osdep/poller.hpp"

#include <climits>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>

#include "osdep/errno_error.hpp"

namespace weft::osdep {

namespace {
// The wake eventfd's token; user tokens never collide because the eventfd is
// recognised by its token before user tokens are reported.
constexpr std::uint64_t kWakeToken = UINT64_MAX;
constexpr int kMaxEvents = 32;
}  // namespace

Result<Poller> Poller::create() noexcept {
  UniqueFd ep{::epoll_create1(EPOLL_CLOEXEC)};
  if (!ep) return from_errno(errno);
  UniqueFd ev{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  if (!ev) return from_errno(errno);
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u64 = kWakeToken;
  if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, ev.get(), &e) != 0) return from_errno(errno);
  return Poller(std::move(ep), std::move(ev));
}

Result<void> Poller::control(int op, int fd, std::uint64_t token, std::uint32_t events) noexcept {
  if (token == kWakeToken) return Error::invalid_argument;
  epoll_event e{};
  e.events = events;
  e.data.u64 = token;
  if (::epoll_ctl(epoll_.get(), op, fd, &e) != 0) return from_errno(errno);
  return {};
}

Result<void> Poller::add(int fd, std::uint64_t token) noexcept {
  return control(EPOLL_CTL_ADD, fd, token, EPOLLIN);
}

Result<void> Poller::want_write(int fd, std::uint64_t token, bool write) noexcept {
  return control(EPOLL_CTL_MOD, fd, token, write ? EPOLLOUT : EPOLLIN);
}

Result<void> Poller::mute(int fd, std::uint64_t token, bool muted) noexcept {
  return control(EPOLL_CTL_MOD, fd, token, muted ? 0U : static_cast<std::uint32_t>(EPOLLIN));
}

Result<void> Poller::remove(int fd) noexcept {
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0) return from_errno(errno);
  return {};
}

Result<Poller::Ready> Poller::wait(std::span<std::uint64_t> tokens,
                                   std::optional<Duration> timeout) noexcept {
  int timeout_ms = -1;
  if (timeout) {
    // Round up so a short timeout does not become a zero-timeout spin.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(std::max(*timeout, Duration{0}));
    timeout_ms = static_cast<int>(std::min<std::int64_t>(ms.count(), INT_MAX));
  }
  std::array<epoll_event, kMaxEvents> events{};
  const int max = static_cast<int>(std::min<std::size_t>(events.size(), tokens.size() + 1));
  int n = 0;
  do {
    n = ::epoll_wait(epoll_.get(), events.data(), max, timeout_ms);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return from_errno(errno);
  Ready ready;
  for (int i = 0; i < n; ++i) {
    const std::uint64_t token = events[static_cast<std::size_t>(i)].data.u64;
    if (token == kWakeToken) {
      std::uint64_t count = 0;
      // Drains the counter so the next wait blocks again.
      [[maybe_unused]] const ssize_t r = ::read(event_.get(), &count, sizeof count);
      ready.woken = true;
    } else if (ready.count < tokens.size()) {
      tokens[ready.count++] = token;
    }
  }
  return ready;
}

void Poller::wake() noexcept {
  const std::uint64_t one = 1;
  // Cannot fail short of a closed fd: the counter saturating would need 2^64 wakes.
  [[maybe_unused]] const ssize_t r = ::write(event_.get(), &one, sizeof one);
}

}  // namespace weft::osdep
