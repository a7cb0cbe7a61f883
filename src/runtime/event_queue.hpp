#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "base/instant.hpp"
#include "node/node_host.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::runtime {

// A node's events on their way to the application: filled by the I/O thread
// (which must never wait for the application), taken by whichever application
// thread asks. Bounded: when `capacity` events are waiting, newer ones are
// lost — never silently: the count of lost events is queued where they would
// have been (one extra slot), so the application sees exactly where its view
// has a gap, and the total is kept for statistics.
class EventQueue {
 public:
  // One entry: an event, or a notice that `lost` events were dropped here.
  struct Entry {
    std::optional<node::NodeEvent> event;
    std::uint64_t lost{0};
  };

  // Error::io if the kernel refuses an eventfd.
  static Result<std::unique_ptr<EventQueue>> create(std::size_t capacity);

  // Never blocks.
  void push(const node::NodeEvent& event);
  // The oldest entry; waits up to `timeout` for one (nullopt when none came,
  // or at once after close()).
  std::optional<Entry> pop(Duration timeout);
  // Wakes every pop() waiting now or later on an empty queue (the owner is going away).
  void close();

  // A kernel fd (eventfd) that polls readable exactly while entries wait, for
  // the application's own poll/epoll loop. Owned by the queue.
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  [[nodiscard]] std::uint64_t lost_total() const;
  [[nodiscard]] std::size_t size() const;

 private:
  EventQueue(std::size_t capacity, osdep::UniqueFd fd) noexcept
      : capacity_(capacity), fd_(std::move(fd)) {}
  void append(Entry entry);  // under mutex_

  const std::size_t capacity_;
  osdep::UniqueFd fd_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Entry> entries_;
  std::uint64_t lost_total_{0};
  bool closed_{false};
};

}  // namespace weft::runtime
