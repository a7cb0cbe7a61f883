#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "socket/pumping_waker.hpp"
#include "stack/stack_driver.hpp"

namespace weft::socket {

class FdBridge;

// BSD socket semantics over a StackDriver: small-integer descriptors, blocking and
// non-blocking modes, SO_RCVTIMEO/SO_SNDTIMEO, connect with EINPROGRESS + SO_ERROR,
// half-close, linger, poll. Arguments use the POSIX constants (AF_INET, SOCK_STREAM,
// SOL_SOCKET, SO_*, TCP_NODELAY, MSG_*); failures are Errors, which to_errno()
// (errno_map.hpp) turns into POSIX errno values at the C API.
//
// Thread-safe: any thread may call anything. A call blocked on a descriptor that
// another thread closes returns Error::bad_handle.
class SocketTable {
 public:
  using Millis = std::chrono::milliseconds;

  // `receiver_linger`: the period after which a thread whose blocking call
  // returned stops receiving for the links, if it has not blocked again (it
  // stops one to two periods after its last call; ReceivePumps; nothing to
  // do with SO_LINGER); zero: it stops with the call.
  explicit SocketTable(stack::StackDriver& driver, std::size_t max_sockets = 65'536,
                       std::chrono::microseconds receiver_linger = ReceivePumps::kLinger);
  ~SocketTable();
  SocketTable(const SocketTable&) = delete;
  SocketTable& operator=(const SocketTable&) = delete;

  Result<int> open(int domain, int type, int protocol);
  Result<void> bind(int fd, const sockaddr* addr, socklen_t len);
  Result<void> listen(int fd, int backlog);
  // addr/len may both be null.
  Result<int> accept(int fd, sockaddr* addr, socklen_t* len, int flags = 0);
  // timeout: none = as the socket's mode says (blocking waits for the outcome,
  // non-blocking returns in_progress). A timeout that expires aborts the attempt
  // and returns timed_out.
  Result<void> connect(int fd, const sockaddr* addr, socklen_t len,
                       std::optional<Millis> timeout = {});
  Result<std::size_t> send(int fd, ByteSpan data, int flags);
  Result<std::size_t> recv(int fd, MutableByteSpan buffer, int flags);
  Result<std::size_t> sendto(int fd, ByteSpan data, int flags, const sockaddr* addr, socklen_t len);
  Result<std::size_t> recvfrom(int fd, MutableByteSpan buffer, int flags, sockaddr* addr,
                               socklen_t* len);
  Result<void> shutdown(int fd, int how);
  Result<void> close(int fd);
  Result<void> setsockopt(int fd, int level, int name, const void* value, socklen_t len);
  Result<void> getsockopt(int fd, int level, int name, void* value, socklen_t* len);
  Result<void> getsockname(int fd, sockaddr* addr, socklen_t* len);
  Result<void> getpeername(int fd, sockaddr* addr, socklen_t* len);
  Result<void> set_nonblocking(int fd, bool on);
  Result<bool> nonblocking(int fd);
  // poll(2) over our descriptors. timeout < 0 waits forever. Returns the number
  // of entries with revents != 0; unknown descriptors get POLLNVAL.
  Result<int> poll(pollfd* fds, std::size_t count, int timeout_ms);

  // fd mode: moves a connected TCP socket out of the table and returns one end of
  // an AF_UNIX stream socketpair, owned by the caller, bridged to the connection
  // (back-pressure both ways). fd is no longer a descriptor of this table.
  Result<int> export_fd(int fd);

  // A link under this table's stack whose receive path a thread blocked in a
  // call here runs itself while it waits (tap::ReceivePump: no hand-off from
  // the link's thread on the way to the application). Remove it before the
  // link stops; remove returns once no thread is using it.
  void add_receive_pump(tap::ReceivePump& pump) { pumps_.add(pump); }
  void remove_receive_pump(tap::ReceivePump& pump) { pumps_.remove(pump); }

 private:
  struct Entry;
  std::shared_ptr<Entry> get(int fd);
  Result<int> insert(std::unique_ptr<stack::Socket> s, int type, bool nonblocking);
  Result<void> close_entry(Entry& e);

  stack::StackDriver& driver_;
  const std::size_t max_;
  ReceivePumps pumps_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Entry>> slots_;  // guarded by mu_
  std::mutex bridge_mu_;
  std::unique_ptr<FdBridge> bridge_;  // started on first export_fd
};

}  // namespace weft::socket
