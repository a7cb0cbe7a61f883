// One message with one fd over an AF_UNIX socket (how weftd hands virtual
// sockets to programs).
#include "osdep/fd_passing.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>

namespace weft::osdep {
namespace {

struct SeqPair {
  UniqueFd a;
  UniqueFd b;
  SeqPair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0) {
      a.reset(fds[0]);
      b.reset(fds[1]);
    }
  }
};

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

ByteSpan text(const char* s) { return {reinterpret_cast<const std::byte*>(s), std::strlen(s)}; }

TEST(FdPassing, MessageAndFdArriveTogether) {
  SeqPair p;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  ASSERT_TRUE(send_with_fd(p.a.get(), text("hello"), write_end.get(), 0));
  write_end.reset();  // only the passed copy keeps the pipe open now
  std::array<std::byte, 16> buf{};
  auto in = receive_with_fd(p.b.get(), buf, MSG_CMSG_CLOEXEC);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->size, 5U);
  EXPECT_FALSE(in->truncated);
  ASSERT_TRUE(in->fd);
  EXPECT_EQ(std::memcmp(buf.data(), "hello", 5), 0);
  ASSERT_EQ(::write(in->fd.get(), "x", 1), 1);
  char c = 0;
  EXPECT_EQ(::read(read_end.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

TEST(FdPassing, WithoutFdTruncatedClosedAndWouldBlock) {
  SeqPair p;
  std::array<std::byte, 4> small{};
  auto none = receive_with_fd(p.b.get(), small, MSG_DONTWAIT);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), Error::would_block);
  EXPECT_EQ(errno, EAGAIN);  // left for the preload to report
  ASSERT_TRUE(send_with_fd(p.a.get(), text("too long"), -1, 0));
  auto in = receive_with_fd(p.b.get(), small, 0);
  ASSERT_TRUE(in);
  EXPECT_TRUE(in->truncated);
  EXPECT_FALSE(in->fd);
  p.a.reset();
  auto closed = receive_with_fd(p.b.get(), small, 0);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->size, 0U);
}

TEST(FdPassing, ExtraFdsAreClosedNotLeaked) {
  SeqPair p;
  // Two fds in one message, sent by hand: the receiver keeps the first only.
  int fds[2] = {::dup(0), ::dup(0)};
  std::array<std::byte, 1> one{std::byte{1}};
  iovec iov{one.data(), one.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* h = CMSG_FIRSTHDR(&msg);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof fds);
  std::memcpy(CMSG_DATA(h), fds, sizeof fds);
  ASSERT_EQ(::sendmsg(p.a.get(), &msg, 0), 1);
  ::close(fds[0]);
  ::close(fds[1]);
  const std::size_t before = open_fds();
  {
    std::array<std::byte, 4> buf{};
    auto in = receive_with_fd(p.b.get(), buf, 0);
    ASSERT_TRUE(in);
    EXPECT_EQ(in->size, 1U);
    EXPECT_TRUE(in->fd);
  }
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace weft::osdep
