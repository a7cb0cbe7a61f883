#pragma once

#include "stack/lwip/lwip_headers.hpp"

namespace weft::tap {
class Tap;
}

namespace weft::stack::lwip {

// Holds lwIP's core lock (LOCK_TCPIP_CORE) for a scope. The lock is NOT recursive:
// never take a CoreLock inside an lwIP callback (callbacks already run under it).
//
// Frames lwIP emits while a CoreLock is held are queued (with a pbuf reference,
// no copy) and handed to their tap in one transmit() per tap when the CoreLock
// ends, after the core lock is released, so a burst leaves in one call (one
// sendmmsg on the dev link). Order across threads is kept by a transmit mutex
// taken before the core lock is released.
class CoreLock {
 public:
  CoreLock() noexcept;
  ~CoreLock();
  CoreLock(const CoreLock&) = delete;
  CoreLock& operator=(const CoreLock&) = delete;
};

// A socket whose watchers can be woken later in the locked section.
class Wakeable {
 public:
  virtual void wake_watchers() noexcept = 0;  // takes the socket's own lock

 protected:
  ~Wakeable() = default;
};

// From an lwIP callback (core lock held): wake s's watchers once, when the
// current CoreLock section ends (just after the core lock is released and its
// frames sent), instead of once per callback; a batch of frames for one
// connection then costs one wake-up. Returns false when no CoreLock of ours is
// active on this thread (lwIP's tcpip thread): the caller wakes at once.
bool defer_wake(Wakeable* s) noexcept;

// Returns once every CoreLock section that deferred a wake before this call has
// finished waking. A Wakeable calls it before it is freed, once no callback can
// defer it any more (after its close under the core lock).
void wait_for_deferred_wakes() noexcept;

// For linkoutput (core lock held): queue p for tap, or send it at once when no
// CoreLock of ours is active on this thread (lwIP's own tcpip thread running
// timers) or the queue is full. Takes its own pbuf reference.
void queue_frame(tap::Tap& tap, pbuf* p) noexcept;

}  // namespace weft::stack::lwip
