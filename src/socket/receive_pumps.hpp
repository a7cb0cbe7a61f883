#pragma once

#include <poll.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "osdep/unique_fd.hpp"
#include "tap/receive_pump.hpp"

namespace weft::socket {

class PumpingWaker;

// The receive paths of the links under a SocketTable's stack, which a thread
// blocked in the table drives itself while it waits (PumpingWaker). One
// thread at a time does: the one that blocked last (the others, were they all
// to wait for the links too, would all wake for every datagram). Meanwhile
// the links' own threads defer to it.
//
// When that thread's call returns it stays the receiver for a while
// (lingers), so the links' threads go on deferring: an application that
// answers and waits again (recv, send, recv) then neither mutes and unmutes
// the links' threads on every call nor, when the peer's answer comes back
// before it waits again (on one core it comes at once: the send wakes the
// peer, which runs first), has a link's thread take that answer and hand it
// over. A lingering receiver that has not waited again for kLinger (checked
// once per kLinger: it stops one to two of them after its last call), whose
// thread exits, or that a thread waiting without receiving (for room to send,
// in the fd bridge) would depend on, stops. Then the latest thread it took
// over from that still waits receives again (a thread per connection exits
// while its acceptor waits: the next SYN reaches the acceptor's thread
// directly), or, with none, the links' threads do.
class ReceivePumps {
 public:
  // The default period of the linger timer: a frame nobody is blocked on
  // (an ACK of data sent without blocking, a connection no thread is
  // accepting yet) waits for a receiver that left its call at most two of
  // them. Zero: receivers leave with their call.
  static constexpr std::chrono::microseconds kLinger{1000};

  explicit ReceivePumps(std::chrono::microseconds linger = kLinger);
  ~ReceivePumps();
  ReceivePumps(const ReceivePumps&) = delete;
  ReceivePumps& operator=(const ReceivePumps&) = delete;

  // The first starts the linger timer's thread.
  void add(tap::ReceivePump& pump);
  // Returns once no thread is inside the pump's pump(): the link may then
  // stop. The last stops the linger timer's thread (no thread or fd is kept
  // while there is nothing to receive).
  void remove(tap::ReceivePump& pump);

  // Appends a pollfd (POLLIN) per pump to `fds` and the pumps, in the same
  // order, to `pumps`.
  void collect(std::vector<pollfd>& fds, std::vector<tap::ReceivePump*>& pumps);
  // pump->pump() if it is still registered.
  void pump(tap::ReceivePump* pump);

  // `waker`'s thread becomes the one that receives, while `waker` waits; a
  // waker of another thread that was receiving is woken, so it stops waiting
  // for the links. leave(): the wait ended; its thread lingers.
  void claim(PumpingWaker& waker);
  void leave(PumpingWaker& waker);
  // Before a wait that does not receive (it relies on someone who does;
  // PumpingWaker::For::acks): a lingering receiver stops, the links' own
  // threads receive again.
  void stop_lingering();
  // While forbidden (counted: each true needs its false), receivers leave at
  // once: the fd bridge's thread waits on its sockets without receiving.
  void forbid_lingering(bool forbid);
  [[nodiscard]] bool receives(const PumpingWaker& waker) const noexcept;
  // A thread left its wait and still receives for the links.
  [[nodiscard]] bool lingering() const;

  // Defined in the .cpp; public so the record each thread keeps there of
  // where it claimed can name it.
  struct Shared;

 private:
  // The linger timer's thread, while there are pumps (timer_mu_ held).
  void start_timer();
  void stop_timer();
  void run_timer();

  // Shared with every thread that claimed here: it ends its lingering when
  // it exits, which may be after this table is gone.
  std::shared_ptr<Shared> shared_;
  // Taken by add() and remove() before Shared's mutexes; guards what follows.
  std::mutex timer_mu_;
  osdep::UniqueFd stop_;  // eventfd: ends run_timer
  std::thread timer_thread_;
};

}  // namespace weft::socket
