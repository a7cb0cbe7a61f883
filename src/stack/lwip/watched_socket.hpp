#pragma once

#include <mutex>

#include "stack/lwip/core_lock.hpp"
#include "stack/lwip/watchers.hpp"
#include "stack/stack_driver.hpp"

namespace weft::stack::lwip {

// What TcpSocket and UdpSocket share: the socket's own mutex and the Wakers
// watching it, woken at once or, from an lwIP callback, once at the end of the
// locked section (defer_wake).
class WatchedSocket : public Socket, private Wakeable {
 public:
  void watch(Waker* waker) final {
    std::lock_guard lock(mu_);
    watchers_.add(waker);
  }
  void unwatch(Waker* waker) final {
    std::lock_guard lock(mu_);
    watchers_.remove(waker);
  }

 protected:
  // mu_ held: wake now.
  void wake_all_locked() noexcept { watchers_.wake_all(); }
  // In a callback (mu_ held): wake now or at the end of the locked section.
  void notify_locked() noexcept {
    if (!defer_wake(this)) watchers_.wake_all();
  }
  // mu_ held: a watcher waits on the thread that is putting frames into the
  // stack right now (Waker::on_input_thread).
  [[nodiscard]] bool watched_from_input_thread_locked() const noexcept {
    return watchers_.any_on_input_thread();
  }

  std::mutex mu_;

 private:
  void wake_watchers() noexcept final {
    std::lock_guard lock(mu_);
    watchers_.wake_all();
  }

  Watchers watchers_;  // guarded by mu_
};

}  // namespace weft::stack::lwip
