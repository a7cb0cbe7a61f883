#include "osdep/fd_passing.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "osdep/errno_error.hpp"

namespace weft::osdep {

Result<std::size_t> send_with_fd(int socket, ByteSpan message, int fd, int flags) noexcept {
  iovec iov{const_cast<std::byte*>(message.data()), message.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* h = CMSG_FIRSTHDR(&msg);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(h), &fd, sizeof fd);
  }
  const ssize_t n = ::sendmsg(socket, &msg, flags | MSG_NOSIGNAL);
  if (n < 0) return from_errno(errno);
  return static_cast<std::size_t>(n);
}

Result<ReceivedMessage> receive_with_fd(int socket, MutableByteSpan buffer, int flags) noexcept {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(socket, &msg, flags);
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  ReceivedMessage r;
  // Fds arrive even with an error-free short read; take them before anything
  // else so none leaks.
  for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h != nullptr; h = CMSG_NXTHDR(&msg, h)) {
    if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int passed = -1;
      std::memcpy(&passed, CMSG_DATA(h) + i * sizeof(int), sizeof passed);
      if (!r.fd)
        r.fd.reset(passed);
      else
        ::close(passed);
    }
  }
  if (n < 0) {
    errno = err;
    return from_errno(err);
  }
  r.size = static_cast<std::size_t>(n);
  r.truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  return r;
}

}  // namespace weft::osdep
