#pragma once

// The socket API under test, as a table of functions with the BSD signatures:
// the same test body runs against the Linux kernel's sockets and against Weft's.

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <string>
#include <string_view>

namespace weft::conformance {

struct Backend {
  std::string_view name;  // "kernel" or "weft": also the peer program's mode argument
  bool is_weft;

  int (*socket)(int domain, int type, int protocol);
  int (*bind)(int fd, const sockaddr* addr, socklen_t len);
  int (*listen)(int fd, int backlog);
  int (*accept)(int fd, sockaddr* addr, socklen_t* len);
  int (*connect)(int fd, const sockaddr* addr, socklen_t len);
  ssize_t (*send)(int fd, const void* buf, size_t len, int flags);
  ssize_t (*recv)(int fd, void* buf, size_t len, int flags);
  ssize_t (*sendto)(int fd, const void* buf, size_t len, int flags, const sockaddr* addr,
                    socklen_t alen);
  ssize_t (*recvfrom)(int fd, void* buf, size_t len, int flags, sockaddr* addr, socklen_t* alen);
  int (*shutdown)(int fd, int how);
  int (*close)(int fd);
  int (*setsockopt)(int fd, int level, int name, const void* value, socklen_t len);
  int (*getsockopt)(int fd, int level, int name, void* value, socklen_t* len);
  int (*getsockname)(int fd, sockaddr* addr, socklen_t* len);
  int (*getpeername)(int fd, sockaddr* addr, socklen_t* len);
  int (*set_nonblocking)(int fd, int on);
  int (*poll)(pollfd* fds, nfds_t count, int timeout_ms);
  // A kernel fd for the application's own epoll loop (fd mode). The kernel
  // backend returns the socket itself.
  int (*export_fd)(int fd);
  // errno of the calling thread for this API (errno or weft_errno).
  int (*last_error)();

  // Numeric addresses: this process's and the peer process's, per family.
  const char* local_v4;
  const char* peer_v4;
  const char* local_v6;
  const char* peer_v6;

  [[nodiscard]] const char* local(int family) const {
    return family == AF_INET6 ? local_v6 : local_v4;
  }
  [[nodiscard]] const char* peer(int family) const {
    return family == AF_INET6 ? peer_v6 : peer_v4;
  }
};

// Kernel sockets on 127.0.0.1 / ::1. send() adds MSG_NOSIGNAL: Weft never
// raises SIGPIPE, and a test process must not die of one either.
const Backend& kernel_backend();
// Weft sockets (include/weft/weft.h) on a dev link between two processes:
// 10.77.0.1 / fd77::1 here, 10.77.0.2 / fd77::2 in the peer.
const Backend& weft_backend();
const Backend& backend_named(std::string_view name);  // "kernel" or "weft"

// Weft sockets of this process's node (weft_node_*) on a real network whose
// other member is the Linux kernel through a TAP device, across the overlay
// (kernel_peer_test.cpp): the peer is conformance_peer on kernel sockets bound
// to the TAP device's addresses. Its addresses are those the controller
// assigned, set once before the first case.
const Backend& overlay_backend();
void set_overlay_addresses(const std::string& local_v4, const std::string& peer_v4,
                           const std::string& local_v6, const std::string& peer_v6);

}  // namespace weft::conformance
