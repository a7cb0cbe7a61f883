#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "osdep/unique_fd.hpp"
#include "socket/pumping_waker.hpp"
#include "stack/stack_driver.hpp"

namespace weft::socket {

// fd mode (the seed's PhySocket): a connected stack socket handed to the
// application as one end of an AF_UNIX stream socketpair, so the application can
// use its own poll/epoll/asio/libuv loop. One bridge thread moves bytes between
// each pair's other end and its stack socket:
//   stack -> app: recv_visit() writes straight from lwIP's pbufs into the pair
//                 (no intermediate copy); when the pair is full, bytes stay in the
//                 socket's bounded rxbuf and the TCP window closes.
//   app -> stack: read into one shared scratch buffer, send(); what the stack does
//                 not take stays in a per-link leftover (at most 64 KiB) and the
//                 pair is not read again until the stack signals writable, so the
//                 app's writes block (or EAGAIN) once the pair's buffer is full.
// EOF travels both ways (shutdown(SHUT_WR) on either side); a reset or error on the
// stack side shows to the app as EOF on read and EPIPE on write (a socketpair cannot
// carry ECONNRESET). Closing the app end closes the stack socket after the
// leftover is sent.
class FdBridge {
 public:
  // `pumps` (may be null): the table's, whose receivers must not linger while
  // this thread waits on bridged sockets without receiving for the links.
  static Result<std::unique_ptr<FdBridge>> start(ReceivePumps* pumps);
  ~FdBridge();  // wakes and joins the thread; closes every bridged socket
  FdBridge(const FdBridge&) = delete;
  FdBridge& operator=(const FdBridge&) = delete;

  // Returns the application's end (the caller owns and closes it).
  Result<int> adopt(std::shared_ptr<stack::Socket> socket);
  // Bridges `socket` to `ours`, the bridge's end of an AF_UNIX stream pair the
  // caller made (whose other end it may have handed out already).
  Result<void> attach(std::shared_ptr<stack::Socket> socket, osdep::UniqueFd ours);

 private:
  struct Link;
  FdBridge(osdep::UniqueFd epoll, osdep::UniqueFd event, ReceivePumps* pumps) noexcept;
  void run();
  void mark_ready(std::uint64_t id) noexcept;
  void pump(Link& link);
  void finish(std::uint64_t id);
  // Lingering is forbidden while links_ is not empty.
  void track_links() noexcept;

  osdep::UniqueFd epoll_;
  osdep::UniqueFd event_;  // eventfd: stack readiness, new links, stop
  ReceivePumps* pumps_;
  std::thread thread_;

  std::mutex mu_;  // guards the four below
  std::vector<std::uint64_t> ready_;
  std::vector<std::unique_ptr<Link>> incoming_;
  bool stop_{false};
  std::uint64_t next_id_{1};

  std::map<std::uint64_t, std::unique_ptr<Link>> links_;  // bridge thread only
  std::vector<std::byte> scratch_;                         // bridge thread only
  bool forbidding_{false};                                 // bridge thread only
};

}  // namespace weft::socket
