#pragma once

#include <algorithm>
#include <vector>

#include "stack/waker.hpp"

namespace weft::stack::lwip {

// The Wakers of one socket. Guarded by that socket's mutex.
class Watchers {
 public:
  void add(Waker* w) { list_.push_back(w); }
  void remove(Waker* w) { std::erase(list_, w); }
  void wake_all() noexcept {
    for (Waker* w : list_) w->wake();
  }
  [[nodiscard]] bool any_on_input_thread() const noexcept {
    return std::ranges::any_of(list_, [](const Waker* w) { return w->on_input_thread(); });
  }

 private:
  std::vector<Waker*> list_;
};

}  // namespace weft::stack::lwip
