#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::osdep {

// One message carrying at most one file descriptor (SCM_RIGHTS) over an
// AF_UNIX socket: how weftd hands virtual sockets to programs. On failure the
// Error is from_errno's and errno is left as the system call set it (the
// preload reports it to the program unchanged).

// Sends `message`, with `fd` unless it is negative. MSG_NOSIGNAL is added.
Result<std::size_t> send_with_fd(int socket, ByteSpan message, int fd, int flags) noexcept;

struct ReceivedMessage {
  std::size_t size{0};    // 0: the peer closed (stream) or sent an empty message
  bool truncated{false};  // the message or its fds did not fit (MSG_TRUNC / MSG_CTRUNC)
  UniqueFd fd;            // the first fd passed; any others are closed
};

// Receives one message into `buffer`; interrupted calls are resumed.
Result<ReceivedMessage> receive_with_fd(int socket, MutableByteSpan buffer, int flags) noexcept;

}  // namespace weft::osdep
