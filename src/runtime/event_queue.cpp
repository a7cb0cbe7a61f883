#include "runtime/event_queue.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

namespace weft::runtime {

Result<std::unique_ptr<EventQueue>> EventQueue::create(std::size_t capacity) {
  if (capacity == 0) return Error::invalid_argument;
  osdep::UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) return Error::io;
  return std::unique_ptr<EventQueue>(new EventQueue(capacity, std::move(fd)));
}

void EventQueue::append(Entry entry) {
  if (entries_.empty()) {
    const std::uint64_t one = 1;
    // Cannot fail: the counter is 0 or 1, far from overflow.
    (void)!::write(fd_.get(), &one, sizeof one);
  }
  entries_.push_back(std::move(entry));
}

void EventQueue::push(const node::NodeEvent& event) {
  {
    std::lock_guard lock(mutex_);
    if (entries_.size() < capacity_) {
      append(Entry{event, 0});
    } else {
      ++lost_total_;
      if (!entries_.empty() && !entries_.back().event) {
        ++entries_.back().lost;
      } else {
        append(Entry{std::nullopt, 1});
      }
    }
  }
  ready_.notify_one();
}

std::optional<EventQueue::Entry> EventQueue::pop(Duration timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !entries_.empty() || closed_; });
  if (entries_.empty()) return std::nullopt;
  Entry e = std::move(entries_.front());
  entries_.pop_front();
  if (entries_.empty()) {
    std::uint64_t count = 0;
    (void)!::read(fd_.get(), &count, sizeof count);
  }
  return e;
}

void EventQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

std::uint64_t EventQueue::lost_total() const {
  std::lock_guard lock(mutex_);
  return lost_total_;
}

std::size_t EventQueue::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace weft::runtime
