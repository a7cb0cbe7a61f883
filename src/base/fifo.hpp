#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace weft {

// A first-in, first-out queue on one vector. Unlike std::deque, which in
// libstdc++ allocates a 512-byte block and its map even while empty, it holds
// no memory before its first push: every socket keeps queues, and most
// sockets are idle. After traffic it keeps the vector's capacity (the deepest
// the queue has been), not a block per 512 bytes.
//
// pop_front() resets the front element (releasing what it owns) and moves past
// it, so iterators stay valid across pops; the popped slots are reclaimed by
// a later push, once the queue has emptied or half the vector is popped.
template <typename T>
class Fifo {
 public:
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  [[nodiscard]] bool empty() const noexcept { return head_ == items_.size(); }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size() - head_; }

  // Not empty.
  [[nodiscard]] T& front() noexcept { return items_[head_]; }
  [[nodiscard]] const T& front() const noexcept { return items_[head_]; }

  void push_back(T value) {
    reclaim();
    items_.push_back(std::move(value));
  }
  // Not empty.
  void pop_front() noexcept {
    items_[head_] = T{};
    ++head_;
  }
  void clear() noexcept {
    items_.clear();
    head_ = 0;
  }
  void swap(Fifo& other) noexcept {
    items_.swap(other.items_);
    std::swap(head_, other.head_);
  }

  iterator begin() noexcept { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  iterator end() noexcept { return items_.end(); }
  const_iterator begin() const noexcept {
    return items_.begin() + static_cast<std::ptrdiff_t>(head_);
  }
  const_iterator end() const noexcept { return items_.end(); }

 private:
  void reclaim() {
    if (head_ == 0) return;
    if (empty()) {
      clear();
    } else if (head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), begin());
      head_ = 0;
    }
  }

  std::vector<T> items_;
  std::size_t head_{0};  // items_[0, head_) are popped
};

}  // namespace weft
