#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/instant.hpp"
#include "base/result.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::osdep {

// Blocks a thread until one of its fds is readable (or writable, if asked) or another thread calls
// wake(). An epoll set plus an eventfd: this is how a thread that owns a socket
// is stopped — its owner calls wake() and joins it, nobody polls a flag.
//
// add/remove/wait belong to the waiting thread (or happen before it starts);
// wake() may be called from any thread, any number of times.
class Poller {
 public:
  struct Ready {
    std::size_t count{0};  // entries of `tokens` filled with readable fds' tokens
    bool woken{false};     // wake() was called since the last wait that saw it
  };

  static Result<Poller> create() noexcept;

  // Reports `fd` readable with `token` (level-triggered). The fd must outlive
  // its registration.
  Result<void> add(int fd, std::uint64_t token) noexcept;
  Result<void> remove(int fd) noexcept;
  // Switches a registered fd between reporting readable (the default) and
  // reporting writable (for a writer waiting for room; level-triggered, so
  // switch back once the output is out).
  Result<void> want_write(int fd, std::uint64_t token, bool write) noexcept;
  // Stops (muted) or resumes reporting a registered fd readable: for a thread
  // that leaves the fd to others for a while. Level-triggered: once resumed,
  // it is reported at once if data came meanwhile. Any thread may call it.
  Result<void> mute(int fd, std::uint64_t token, bool muted) noexcept;

  // Waits until something is ready; no timeout waits forever. A timeout that
  // expires returns an empty Ready. Interrupted waits (EINTR) are resumed.
  Result<Ready> wait(std::span<std::uint64_t> tokens,
                     std::optional<Duration> timeout = std::nullopt) noexcept;

  void wake() noexcept;

 private:
  Poller(UniqueFd epoll, UniqueFd event) noexcept
      : epoll_(std::move(epoll)), event_(std::move(event)) {}
  // epoll_ctl(op) of a user fd (never the wake eventfd's token).
  Result<void> control(int op, int fd, std::uint64_t token, std::uint32_t events) noexcept;
  UniqueFd epoll_;
  UniqueFd event_;
};

}  // namespace weft::osdep
