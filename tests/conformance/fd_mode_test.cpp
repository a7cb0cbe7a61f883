// fd mode: a connection handed to the application as a kernel fd (Weft:
// weft_export_fd; kernel backend: the socket itself) and driven from a plain
// epoll loop with read()/write().

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "conformance/fixture.hpp"

namespace weft::conformance {
namespace {

class FdMode : public Conformance {
 protected:
  // Exports a connection to a peer service; the kernel fd, non-blocking.
  int exported(std::string_view service_name) {
    int fd = connect_to(service_name);
    if (fd < 0) return -1;
    int k = api().export_fd(fd);
    EXPECT_GE(k, 0) << "export_fd: " << err();
    untrack(fd);  // Weft consumed it; for the kernel it is k
    if (k < 0) return -1;
    kfd_ = k;
    EXPECT_EQ(::fcntl(k, F_SETFL, ::fcntl(k, F_GETFL) | O_NONBLOCK), 0);
    return k;
  }

  void TearDown() override {
    if (kfd_ >= 0) ::close(kfd_);
    Conformance::TearDown();
  }

  int kfd_{-1};
};

TEST_P(FdMode, ConnectionWorksInAPlainEpollLoop) {
  int k = exported("echo");
  ASSERT_GE(k, 0);
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(ep, 0);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  ev.data.fd = k;
  ASSERT_EQ(::epoll_ctl(ep, EPOLL_CTL_ADD, k, &ev), 0);

  const Bytes data = pattern(std::size_t{256} * 1024, 40);
  Bytes got;
  Bytes buf(std::size_t{32} * 1024);
  std::size_t sent = 0;
  bool eof = false;
  bool shut = false;
  while (!eof) {
    epoll_event out[1];
    int n = ::epoll_wait(ep, out, 1, 10'000);
    ASSERT_EQ(n, 1) << "stalled: sent " << sent << ", received " << got.size();
    if ((out[0].events & EPOLLOUT) != 0 && sent < data.size()) {
      ssize_t w = ::write(k, data.data() + sent, data.size() - sent);
      if (w < 0) {
        ASSERT_EQ(errno, EAGAIN) << errno_name(errno);
      } else
        sent += static_cast<std::size_t>(w);
      if (sent == data.size() && !shut) {
        // All written: half-close; the echo answers with its own EOF.
        ASSERT_EQ(::shutdown(k, SHUT_WR), 0) << errno_name(errno);
        shut = true;
        ev.events = EPOLLIN | EPOLLRDHUP;
        ASSERT_EQ(::epoll_ctl(ep, EPOLL_CTL_MOD, k, &ev), 0);
      }
    }
    if ((out[0].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0) {
      ssize_t r = ::read(k, buf.data(), buf.size());
      if (r < 0) {
        ASSERT_EQ(errno, EAGAIN) << errno_name(errno);
      } else if (r == 0)
        eof = true;
      else
        got.insert(got.end(), buf.begin(), buf.begin() + r);
    }
  }
  ::close(ep);
  EXPECT_TRUE(shut);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

TEST_P(FdMode, ResetConnectionAsSeenThroughTheFd) {
  int k = exported("abort");
  ASSERT_GE(k, 0);
  const std::byte b{1};
  ASSERT_EQ(::write(k, &b, 1), 1) << errno_name(errno);  // the abort service resets on it
  pollfd p{k, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  std::byte r{};
  ssize_t n = ::read(k, &r, 1);
  int e = n < 0 ? errno : 0;
  // D11 (docs/conformance.md): the kernel socket reports ECONNRESET; a Weft
  // fd-mode socket is one end of a socketpair, which can only show EOF.
  EXPECT_EQ(n, per_backend<ssize_t>(-1, 0));
  EXPECT_EQ(errno_name(e), per_backend<std::string>("ECONNRESET", "0")) << "(D11)";
  // Writing afterwards: EPIPE on both (MSG_NOSIGNAL: no SIGPIPE).
  EXPECT_EQ(::send(k, &b, 1, MSG_NOSIGNAL), -1);
  EXPECT_EQ(errno_name(errno), "EPIPE");
}

TEST_P(FdMode, ClosingTheFdClosesTheConnectionGracefully) {
  int fd = connect_to("discard");
  ASSERT_GE(fd, 0);
  SockAddr local = name_of(fd);
  int k = api().export_fd(fd);
  ASSERT_GE(k, 0) << "export_fd: " << err();
  untrack(fd);
  const Bytes data = pattern(100'000, 41);
  std::size_t off = 0;
  while (off < data.size()) {  // blocking fd
    ssize_t w = ::write(k, data.data() + off, data.size() - off);
    ASSERT_GT(w, 0) << errno_name(errno);
    off += static_cast<std::size_t>(w);
  }
  ASSERT_EQ(::close(k), 0);
  // Everything written before the close is delivered, then a FIN (not a reset).
  EXPECT_EQ(peer().command("end " + std::to_string(local.port())), "end eof");
}

}  // namespace

CONFORMANCE_INSTANTIATE(FdMode);

}  // namespace weft::conformance
