// TCP behaviour, the same cases against the kernel and Weft, IPv4 and IPv6.

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstring>
#include <sstream>
#include <thread>

#include "conformance/fixture.hpp"
#include "conformance/peer_protocol.hpp"

namespace weft::conformance {
namespace {

using Tcp = Conformance;

// ---- connect ----

TEST_P(Tcp, ConnectToClosedPortIsRefused) {
  int fd = open(SOCK_STREAM);
  auto to = service("refuse");
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), ECONNREFUSED);
  // The error was reported by connect, so nothing is pending.
  EXPECT_EQ(errno_name(so_error(fd)), "0");
}

TEST_P(Tcp, NonBlockingConnectIsInProgressThenWritableWithNoError) {
  int fd = open(SOCK_STREAM | SOCK_NONBLOCK);
  auto to = service("echo");
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), EINPROGRESS);
  EXPECT_EQ(wait_for(fd, POLLOUT), POLLOUT);
  EXPECT_EQ(errno_name(so_error(fd)), "0");
  // D1 (docs/conformance.md): calling connect again, Linux answers 0 once (the
  // old BSD way to learn the outcome) and EISCONN after; Weft EISCONN at once.
  if (!weft()) {
    EXPECT_EQ(api().connect(fd, to.get(), to.len), 0) << err() << " (D1)";
  }
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), EISCONN);
  EXPECT_EQ(peer_of(fd), to);
}

TEST_P(Tcp, NonBlockingConnectToClosedPortReportsRefusedInSoError) {
  int fd = open(SOCK_STREAM | SOCK_NONBLOCK);
  auto to = service("refuse");
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), EINPROGRESS);
  short revents = wait_for(fd, POLLIN | POLLOUT);
  // Readable and writable (so neither kind of waiter sleeps on), error, hang-up.
  EXPECT_EQ(revents, POLLIN | POLLOUT | POLLERR | POLLHUP) << "revents 0x" << std::hex << revents;
  EXPECT_EQ(errno_name(so_error(fd)), "ECONNREFUSED");
  EXPECT_EQ(errno_name(so_error(fd)), "0");  // reading SO_ERROR clears it
}

// A destination whose connect stays in progress for seconds: a listener here
// with backlog 0 already holding one unaccepted connection, so further SYNs are
// dropped (the accept queue holds backlog + 1).
class TcpPending : public Conformance {
 protected:
  SockAddr pending_target() {
    int l = listen_here(0);
    SockAddr addr = name_of(l);
    int first = open(SOCK_STREAM | SOCK_NONBLOCK);
    if (api().connect(first, addr.get(), addr.len) != 0) {
      EXPECT_EQ(err(), "EINPROGRESS");
    }
    EXPECT_EQ(wait_for(first, POLLOUT), POLLOUT);
    return addr;
  }
};

TEST_P(TcpPending, ConnectAgainWhileInProgress) {
  SockAddr to = pending_target();
  int fd = open(SOCK_STREAM | SOCK_NONBLOCK);
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), EINPROGRESS);
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), EALREADY);  // D16, fixed
  EXPECT_EQ(wait_for(fd, POLLIN | POLLOUT, 0), 0);
  EXPECT_EQ(errno_name(so_error(fd)), "0");
  SockAddr none;
  EXPECT_FAILS_WITH(api().getpeername(fd, none.get(), &none.len), ENOTCONN);
}

TEST_P(TcpPending, BlockingConnectBoundBySndtimeo) {
  SockAddr to = pending_target();
  int fd = open(SOCK_STREAM);
  set_timeout(fd, SO_SNDTIMEO, 200);
  // D17 (docs/conformance.md): Linux gives up waiting with EINPROGRESS and lets
  // the attempt go on; Weft aborts the attempt and says ETIMEDOUT (as POSIX
  // describes a connect timeout).
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), per_backend(EINPROGRESS, ETIMEDOUT));
  EXPECT_EQ(errno_name(so_error(fd)), "0");
}

CONFORMANCE_INSTANTIATE(TcpPending);

TEST_P(Tcp, ConnectOnConnectedSocketIsEisconn) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  auto to = service("echo");
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), EISCONN);
}

// ---- data ----

TEST_P(Tcp, EchoesOneByte) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  const std::byte b{0x5a};
  ASSERT_EQ(api().send(fd, &b, 1, 0), 1) << err();
  std::byte got{0};
  ASSERT_EQ(api().recv(fd, &got, 1, 0), 1) << err();
  EXPECT_EQ(got, b);
}

TEST_P(Tcp, EchoesOneMebibyteByteExact) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  ASSERT_EQ(api().set_nonblocking(fd, 1), 0) << err();
  const Bytes data = pattern(1U << 20U, 1);
  Bytes got;
  got.reserve(data.size());
  Bytes buf(std::size_t{64} * 1024);
  std::size_t sent = 0;
  // Sends and receives at once (the echo's buffers are smaller than 1 MiB).
  while (got.size() < data.size()) {
    short want = static_cast<short>(POLLIN | (sent < data.size() ? POLLOUT : 0));
    short ev = wait_for(fd, want, 10'000);
    ASSERT_NE(ev, 0) << "stalled: sent " << sent << ", received " << got.size();
    if ((ev & POLLOUT) != 0 && sent < data.size()) {
      ssize_t n = api().send(fd, data.data() + sent, data.size() - sent, 0);
      if (n < 0) {
        ASSERT_EQ(errno_name(api().last_error()), "EAGAIN");
      } else
        sent += static_cast<std::size_t>(n);
    }
    if ((ev & POLLIN) != 0) {
      ssize_t n = api().recv(fd, buf.data(), buf.size(), 0);
      if (n < 0) {
        ASSERT_EQ(errno_name(api().last_error()), "EAGAIN");
      }
      ASSERT_NE(n, 0) << "EOF after " << got.size() << " bytes";
      if (n > 0) got.insert(got.end(), buf.begin(), buf.begin() + n);
    }
  }
  EXPECT_TRUE(got == data) << "the echo differs from what was sent";
  // Our EOF travels to the echo, whose EOF comes back.
  ASSERT_EQ(api().set_nonblocking(fd, 0), 0);
  ASSERT_EQ(api().shutdown(fd, SHUT_WR), 0) << err();
  EXPECT_EQ(api().recv(fd, buf.data(), buf.size(), 0), 0) << err();
}

TEST_P(Tcp, RecvAfterPeerCloseIsEof) {
  int fd = connect_to("close");
  ASSERT_GE(fd, 0);
  std::byte b{};
  EXPECT_EQ(api().recv(fd, &b, 1, 0), 0) << err();
  EXPECT_EQ(api().recv(fd, &b, 1, 0), 0) << err();  // and stays so
}

// The abort service resets the connection when it receives a byte, so the
// reset comes at a known point (after connect returned).
TEST_P(Tcp, RecvAfterPeerResetIsEconnresetThenEofAndSendIsEpipe) {
  const int fd = connection_reset_by_peer();
  ASSERT_GE(fd, 0);
  expect_reset_then_eof_and_epipe(fd);
}

TEST_P(Tcp, SendAfterPeerResetIsEconnresetThenEpipe) {
  const int fd = connection_reset_by_peer();
  ASSERT_GE(fd, 0);
  const std::byte b{1};
  EXPECT_FAILS_WITH(api().send(fd, &b, 1, 0), ECONNRESET);
  EXPECT_FAILS_WITH(api().send(fd, &b, 1, 0), EPIPE);
}

TEST_P(Tcp, SoErrorReportsAPendingReset) {
  const int fd = connection_reset_by_peer();
  ASSERT_GE(fd, 0);
  std::byte b{1};
  EXPECT_EQ(wait_for(fd, POLLIN | POLLOUT, 0), POLLIN | POLLOUT | POLLERR | POLLHUP);
  EXPECT_EQ(errno_name(so_error(fd)), "ECONNRESET");
  EXPECT_EQ(errno_name(so_error(fd)), "0");
  EXPECT_EQ(api().recv(fd, &b, 1, 0), 0) << err();  // the error was taken by SO_ERROR
}

TEST_P(Tcp, ConnectionToAResettingListenerEndsInEconnreset) {
  // The reset service resets right after accept: the reset may overtake the
  // connecting thread (connect fails with ECONNRESET, on Linux too) or come
  // after connect returned (the next recv fails with it). Either way, once.
  int fd = open(SOCK_STREAM);
  auto to = service("reset");
  if (api().connect(fd, to.get(), to.len) != 0) {
    EXPECT_EQ(err(), "ECONNRESET");
    EXPECT_EQ(errno_name(so_error(fd)), "0");
    return;
  }
  std::byte b{};
  EXPECT_NE(wait_for(fd, POLLIN) & POLLIN, 0);
  EXPECT_FAILS_WITH(api().recv(fd, &b, 1, 0), ECONNRESET);
  EXPECT_EQ(api().recv(fd, &b, 1, 0), 0) << err();
}

TEST_P(Tcp, MsgPeekLeavesTheDataQueued) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  const Bytes data = pattern(10, 8);
  ASSERT_TRUE(send_all(fd, data));
  ASSERT_NE(wait_for(fd, POLLIN) & POLLIN, 0);
  Bytes peeked(10);
  // Ten bytes sent in one segment arrive together on both stacks.
  ASSERT_EQ(api().recv(fd, peeked.data(), peeked.size(), MSG_PEEK), 10) << err();
  EXPECT_TRUE(peeked == data);
  EXPECT_TRUE(recv_exact(fd, 10) == data);
}

TEST_P(Tcp, MsgWaitallWaitsForTheWholeBuffer) {
  int fd = connect_to("halfclose");
  ASSERT_GE(fd, 0);
  Bytes buf(kHalfCloseBytes);
  EXPECT_EQ(api().recv(fd, buf.data(), buf.size(), MSG_WAITALL),
            static_cast<ssize_t>(kHalfCloseBytes))
      << err();
  EXPECT_TRUE(buf == pattern(kHalfCloseBytes, kHalfCloseSeed));
}

TEST_P(Tcp, ZeroLengthRecvReturnsAtOnce) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  set_timeout(fd, SO_RCVTIMEO, 200);
  std::byte b{};
  // Nothing queued: 0 at once, not EAGAIN after SO_RCVTIMEO (D12, fixed).
  EXPECT_EQ(api().recv(fd, &b, 0, 0), 0) << err();
  EXPECT_EQ(api().send(fd, &b, 0, 0), 0) << err();  // a zero-length send is 0 on both
}

TEST_P(Tcp, PollEventsThroughTheLifeOfAConnection) {
  int fd = connect_to("collect");
  ASSERT_GE(fd, 0);
  const short all = POLLIN | POLLOUT | POLLRDHUP;
  EXPECT_EQ(wait_for(fd, all, 0), POLLOUT);  // idle
  const Bytes data = pattern(1000, 9);
  ASSERT_TRUE(send_all(fd, data));
  ASSERT_EQ(api().shutdown(fd, SHUT_WR), 0) << err();
  // collect replies and closes: data, then the peer's FIN.
  EXPECT_TRUE(recv_exact(fd, data.size()) == data);
  // The FIN: both directions are now finished, so hang-up comes with it.
  EXPECT_EQ(wait_for(fd, POLLRDHUP), POLLRDHUP | POLLHUP);
  // Both directions finished: readable (EOF), writable (EPIPE), hang-up.
  EXPECT_EQ(wait_for(fd, all, 0), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
}

TEST_P(Tcp, SndtimeoExpiryWithAStalledPeerIsEagain) {
  int fd = connect_to("hold");
  ASSERT_GE(fd, 0);
  set_timeout(fd, SO_SNDTIMEO, 200);
  const Bytes data(16U << 20U);  // far more than both ends buffer
  ssize_t first = api().send(fd, data.data(), data.size(), 0);
  // Part was taken before the time ran out: the count is returned, not an error.
  EXPECT_GT(first, 0) << err();
  EXPECT_LT(first, static_cast<ssize_t>(data.size()));
  // Linux may still take more while its buffers grow; then nothing fits and the
  // timeout is an error.
  int tries = 0;
  ssize_t n = 0;
  while ((n = api().send(fd, data.data(), data.size(), 0)) > 0 && ++tries < 50) {
  }
  EXPECT_EQ(n, -1);
  EXPECT_EQ(err(), "EAGAIN");
  // Non-blocking: EAGAIN at once, and poll shows no POLLOUT.
  EXPECT_FAILS_WITH(api().send(fd, data.data(), data.size(), MSG_DONTWAIT), EAGAIN);
  EXPECT_EQ(wait_for(fd, POLLOUT, 0), 0);
}

TEST_P(Tcp, NamesAfterThePeerClosedAndAfterTheConnectionEnded) {
  int fd = connect_to("close");
  ASSERT_GE(fd, 0);
  SockAddr local = name_of(fd);
  std::byte b{};
  ASSERT_EQ(api().recv(fd, &b, 1, 0), 0) << err();
  // Closed by the peer only (CLOSE_WAIT): both names still there.
  EXPECT_EQ(name_of(fd), local);
  EXPECT_EQ(peer_of(fd), service("close"));
  ASSERT_EQ(api().shutdown(fd, SHUT_WR), 0) << err();
  // Our FIN is acknowledged soon after; no event tells when, so re-check
  // (bounded) until getpeername says ENOTCONN.
  SockAddr remote;
  for (int i = 0; i < 200 && api().getpeername(fd, remote.get(), &remote.len) == 0; ++i) {
    api().poll(nullptr, 0, 10);
    remote.len = sizeof remote.storage;
  }
  EXPECT_FAILS_WITH(api().getpeername(fd, remote.get(), &remote.len), ENOTCONN);
  // The local address of a finished connection is still reported (D13, fixed).
  EXPECT_EQ(name_of(fd), local);
}

TEST_P(Tcp, ShutdownFromAnotherThreadWakesABlockedRecv) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  set_timeout(fd, SO_RCVTIMEO, 10'000);  // a bound, should the wake-up be lost
  ssize_t got = -2;
  int e = 0;
  std::thread reader([&] {
    std::byte b{};
    got = api().recv(fd, &b, 1, 0);
    e = api().last_error();
  });
  // Whether the reader is already blocked or not, it must see EOF.
  ASSERT_EQ(api().shutdown(fd, SHUT_RD), 0) << err();
  reader.join();
  EXPECT_EQ(got, 0) << errno_name(e);
}

// ---- close ----

class TcpClose : public Conformance {
 protected:
  // How the peer saw the connection from fd's port end ("end eof", "end e104").
  std::string peer_end(std::uint16_t port) { return peer().command("end " + std::to_string(port)); }
  const std::string kReset = "end e" + std::to_string(ECONNRESET);
};

TEST_P(TcpClose, CloseAfterReadingEverythingSendsFin) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  const std::uint16_t port = name_of(fd).port();
  const Bytes data = pattern(1000, 50);
  ASSERT_TRUE(send_all(fd, data));
  EXPECT_TRUE(recv_exact(fd, data.size()) == data);
  close_fd(fd);
  EXPECT_EQ(peer_end(port), "end eof");
}

TEST_P(TcpClose, CloseWithUnreadDataSendsReset) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  const std::uint16_t port = name_of(fd).port();
  const Bytes data = pattern(1000, 51);
  ASSERT_TRUE(send_all(fd, data));
  ASSERT_NE(wait_for(fd, POLLIN) & POLLIN, 0);  // the echo is queued here, unread
  close_fd(fd);
  EXPECT_EQ(peer_end(port), kReset);
}

TEST_P(TcpClose, LingerZeroCloseSendsReset) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  const std::uint16_t port = name_of(fd).port();
  // One byte there and back: the peer has accepted (and knows our port).
  std::byte b{7};
  ASSERT_EQ(api().send(fd, &b, 1, 0), 1) << err();
  ASSERT_EQ(api().recv(fd, &b, 1, 0), 1) << err();
  linger l{1, 0};
  ASSERT_EQ(api().setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0) << err();
  close_fd(fd);
  EXPECT_EQ(peer_end(port), kReset);
}

TEST_P(TcpClose, LingerWithTimeoutClosesGracefullyAfterTheDataIsDelivered) {
  int fd = connect_to("discard");
  ASSERT_GE(fd, 0);
  const std::uint16_t port = name_of(fd).port();
  linger l{1, 5};
  ASSERT_EQ(api().setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0) << err();
  ASSERT_TRUE(send_all(fd, pattern(200'000, 52)));
  close_fd(fd);
  EXPECT_EQ(peer_end(port), "end eof");
}

TEST_P(TcpClose, ShutdownBothWaysSendsFin) {
  int fd = connect_to("discard");
  ASSERT_GE(fd, 0);
  const std::uint16_t port = name_of(fd).port();
  ASSERT_EQ(api().shutdown(fd, SHUT_RDWR), 0) << err();
  EXPECT_EQ(peer_end(port), "end eof");
  std::byte b{};
  EXPECT_EQ(api().recv(fd, &b, 1, 0), 0) << err();
  EXPECT_FAILS_WITH(api().send(fd, &b, 1, 0), EPIPE);
}

CONFORMANCE_INSTANTIATE(TcpClose);

// ---- half-close ----

TEST_P(Tcp, ShutdownWriteSendsEofAndThePeerCanStillReply) {
  int fd = connect_to("collect");
  ASSERT_GE(fd, 0);
  const Bytes data = pattern(100'000, 2);
  ASSERT_TRUE(send_all(fd, data));
  ASSERT_EQ(api().shutdown(fd, SHUT_WR), 0) << err();
  // collect replies only after it saw our EOF.
  Bytes got = recv_until_eof(fd);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

TEST_P(Tcp, SendAfterShutdownWriteIsEpipe) {
  int fd = connect_to("discard");
  ASSERT_GE(fd, 0);
  ASSERT_EQ(api().shutdown(fd, SHUT_WR), 0) << err();
  const std::byte b{1};
  EXPECT_FAILS_WITH(api().send(fd, &b, 1, 0), EPIPE);
}

TEST_P(Tcp, PeerHalfCloseIsEofAndOurSideCanStillSend) {
  int fd = connect_to("halfclose");
  ASSERT_GE(fd, 0);
  const std::uint16_t my_port = name_of(fd).port();
  Bytes got = recv_until_eof(fd);
  EXPECT_EQ(got.size(), kHalfCloseBytes);
  EXPECT_TRUE(got == pattern(kHalfCloseBytes, kHalfCloseSeed));
  const Bytes reply = pattern(70'000, 3);
  ASSERT_TRUE(send_all(fd, reply));
  close_fd(fd);
  std::ostringstream want;
  want << "halfclose " << reply.size() << " " << fnv1a(reply);
  EXPECT_EQ(peer().command("halfclose? " + std::to_string(my_port)), want.str());
}

TEST_P(Tcp, ShutdownReadMakesRecvReturnEof) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  ASSERT_EQ(api().shutdown(fd, SHUT_RD), 0) << err();
  std::byte b{};
  EXPECT_EQ(api().recv(fd, &b, 1, 0), 0) << err();
}

TEST_P(Tcp, ShutdownOfUnconnectedSocketIsEnotconn) {
  int fd = open(SOCK_STREAM);
  EXPECT_FAILS_WITH(api().shutdown(fd, SHUT_WR), ENOTCONN);
}

TEST_P(Tcp, ShutdownWithBadHowIsEinval) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  EXPECT_FAILS_WITH(api().shutdown(fd, 7), EINVAL);
}

// ---- names ----

TEST_P(Tcp, SocketAndPeerNamesOfAConnection) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  SockAddr local = name_of(fd);
  EXPECT_EQ(local.family(), family());
  EXPECT_EQ(local.len, family() == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
  EXPECT_EQ(local.ip(), api().local(family()));
  EXPECT_NE(local.port(), 0);
  SockAddr remote = peer_of(fd);
  EXPECT_EQ(remote.len, local.len);
  EXPECT_EQ(remote, service("echo"));
}

TEST_P(Tcp, NamesOfListenerAndUnconnectedSocket) {
  int fresh = open(SOCK_STREAM);
  SockAddr unbound = name_of(fresh);
  EXPECT_EQ(unbound.family(), family());
  EXPECT_EQ(unbound.ip(), family() == AF_INET ? "0.0.0.0" : "::");
  EXPECT_EQ(unbound.port(), 0);
  SockAddr none;
  EXPECT_FAILS_WITH(api().getpeername(fresh, none.get(), &none.len), ENOTCONN);

  int l = listen_here();
  SockAddr bound = name_of(l);
  EXPECT_EQ(bound.ip(), api().local(family()));
  EXPECT_NE(bound.port(), 0);
  EXPECT_FAILS_WITH(api().getpeername(l, none.get(), &none.len), ENOTCONN);
}

TEST_P(Tcp, GetsocknameTruncatesToTheGivenLength) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  SockAddr a;
  a.len = 4;  // room for the family and the port only
  ASSERT_EQ(api().getsockname(fd, a.get(), &a.len), 0) << err();
  // The full length is reported, as POSIX says, so the caller can see it was cut.
  EXPECT_EQ(a.len, family() == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
  EXPECT_EQ(a.family(), family());
}

// ---- options ----

TEST_P(Tcp, TypeDomainAndErrorOptions) {
  int fd = open(SOCK_STREAM);
  EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_DOMAIN), family());
  EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_ERROR), 0);
  int c = connect_to("echo");
  ASSERT_GE(c, 0);
  EXPECT_EQ(int_option(c, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  EXPECT_EQ(int_option(c, SOL_SOCKET, SO_DOMAIN), family());
}

TEST_P(Tcp, NodelayAndKeepaliveRoundTrip) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  int on = 1;
  ASSERT_EQ(api().setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on), 0) << err();
  EXPECT_EQ(int_option(fd, IPPROTO_TCP, TCP_NODELAY), 1);
  ASSERT_EQ(api().setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on), 0) << err();
  EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
  int idle = 30;
  ASSERT_EQ(api().setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle), 0) << err();
  EXPECT_EQ(int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
}

TEST_P(Tcp, ReceiveBufferSizeInForce) {
  int fd = open(SOCK_STREAM);
  int size = 32 * 1024;
  ASSERT_EQ(api().setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size), 0) << err();
  // D14 (docs/conformance.md): Linux doubles the request (bookkeeping
  // overhead); Weft's TCP window is fixed by the lwIP build (TCP_WND 65535).
  EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_RCVBUF), per_backend(2 * size, 65535)) << "(D14)";
}

TEST_P(Tcp, LingerRoundTrips) {
  int fd = open(SOCK_STREAM);
  linger l{1, 3};
  ASSERT_EQ(api().setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0) << err();
  linger got{};
  socklen_t len = sizeof got;
  ASSERT_EQ(api().getsockopt(fd, SOL_SOCKET, SO_LINGER, &got, &len), 0) << err();
  EXPECT_EQ(len, sizeof got);
  EXPECT_EQ(got.l_onoff, 1);
  EXPECT_EQ(got.l_linger, 3);
}

TEST_P(Tcp, RcvtimeoRoundTrips) {
  int fd = open(SOCK_STREAM);
  set_timeout(fd, SO_RCVTIMEO, 1500);
  timeval tv{};
  socklen_t len = sizeof tv;
  ASSERT_EQ(api().getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0) << err();
  EXPECT_EQ(len, sizeof tv);
  EXPECT_EQ(tv.tv_sec, 1);
  EXPECT_EQ(tv.tv_usec, 500'000);
}

// ---- bind and listen ----

TEST_P(Tcp, BindToAnAddressInUseIsEaddrinuse) {
  int l = listen_here();
  SockAddr taken = name_of(l);
  int fd = open(SOCK_STREAM);
  EXPECT_FAILS_WITH(api().bind(fd, taken.get(), taken.len), EADDRINUSE);
}

TEST_P(Tcp, ReuseaddrDoesNotAllowASecondListener) {
  const int on = 1;
  int l = open(SOCK_STREAM);
  ASSERT_EQ(api().setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on), 0) << err();
  EXPECT_EQ(int_option(l, SOL_SOCKET, SO_REUSEADDR), 1);
  auto addr = local_any_port();
  ASSERT_EQ(api().bind(l, addr.get(), addr.len), 0) << err();
  ASSERT_EQ(api().listen(l, 4), 0) << err();
  SockAddr taken = name_of(l);
  int fd = open(SOCK_STREAM);
  ASSERT_EQ(api().setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on), 0) << err();
  // The bind is refused, not only the listen (D2, fixed).
  EXPECT_FAILS_WITH(api().bind(fd, taken.get(), taken.len), EADDRINUSE);
}

TEST_P(Tcp, ReuseaddrAllowsRebindingAPortHeldByAClosedConnection) {
  const int on = 1;
  int l = open(SOCK_STREAM);
  ASSERT_EQ(api().setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on), 0) << err();
  auto any = local_any_port();
  ASSERT_EQ(api().bind(l, any.get(), any.len), 0) << err();
  ASSERT_EQ(api().listen(l, 4), 0) << err();
  SockAddr addr = name_of(l);
  set_timeout(l, SO_RCVTIMEO, 10'000);
  // The peer connects and sends 10 bytes; we close first, so our end of the
  // connection (on the listener's port) stays in TIME_WAIT.
  std::ostringstream cmd;
  cmd << "connect " << addr.ip() << " " << addr.port() << " 10 4";
  std::string line = peer().command(cmd.str());
  ASSERT_EQ(line.rfind("connected ", 0), 0U) << line;
  int c = api().accept(l, nullptr, nullptr);
  ASSERT_GE(c, 0) << err();
  EXPECT_TRUE(recv_exact(c, 10) == pattern(10, 4));
  ASSERT_EQ(api().close(c), 0) << err();
  std::ostringstream done;
  done << "done 0 " << fnv1a({});
  EXPECT_EQ(peer().read_line(), done.str());
  close_fd(l);

  int again = open(SOCK_STREAM);
  EXPECT_FAILS_WITH(api().bind(again, addr.get(), addr.len), EADDRINUSE);
  ASSERT_EQ(api().setsockopt(again, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on), 0) << err();
  EXPECT_EQ(api().bind(again, addr.get(), addr.len), 0) << err();
  EXPECT_EQ(api().listen(again, 4), 0) << err();
  EXPECT_EQ(name_of(again), addr);
}

TEST_P(Tcp, AcceptsAConnectionFromThePeer) {
  int l = listen_here();
  SockAddr addr = name_of(l);
  set_timeout(l, SO_RCVTIMEO, 10'000);
  std::ostringstream cmd;
  cmd << "connect " << addr.ip() << " " << addr.port() << " 50000 5";
  std::string line = peer().command(cmd.str());
  ASSERT_EQ(line.rfind("connected ", 0), 0U) << line;
  SockAddr from;
  int c = api().accept(l, from.get(), &from.len);
  ASSERT_GE(c, 0) << err();
  EXPECT_EQ(from.len, family() == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
  // The peer's own view of its address is what accept and getpeername report.
  EXPECT_EQ("connected " + from.to_string(), line);
  EXPECT_EQ(peer_of(c), from);
  EXPECT_EQ(name_of(c), addr);
  Bytes got = recv_exact(c, 50'000);
  EXPECT_TRUE(got == pattern(50'000, 5));
  const Bytes reply = pattern(30'000, 6);
  ASSERT_TRUE(send_all(c, reply));
  ASSERT_EQ(api().close(c), 0) << err();
  std::ostringstream done;
  done << "done " << reply.size() << " " << fnv1a(reply);
  EXPECT_EQ(peer().read_line(), done.str());
}

TEST_P(Tcp, AcceptOfAConnectionResetWhileQueued) {
  int l = listen_here();
  SockAddr addr = name_of(l);
  std::string line =
      peer().command("connectreset " + addr.ip() + " " + std::to_string(addr.port()));
  ASSERT_EQ(line.rfind("reset ", 0), 0U) << line;
  ASSERT_NE(wait_for(l, POLLIN) & POLLIN, 0);
  // The reset has crossed the link by now on both (kernel loopback: at once;
  // the dev link: within a few ms); nothing on the listener tells when.
  api().poll(nullptr, 0, 300);
  SockAddr from;
  std::memset(&from.storage, 0xab, sizeof from.storage);
  const socklen_t untouched = from.len;
  int c = api().accept(l, from.get(), &from.len);
  // Both hand out the dead connection (Linux has always done so).
  ASSERT_GE(c, 0) << err();
  // ... and fill in the client's address and its length (D20, fixed).
  EXPECT_NE(from.len, untouched);
  EXPECT_EQ("reset " + from.to_string(), line);
  std::byte b{};
  EXPECT_FAILS_WITH(api().recv(c, &b, 1, 0), ECONNRESET);
  ASSERT_EQ(api().close(c), 0) << err();
}

TEST_P(Tcp, ListenBacklogOverflow) {
  int l = listen_here(1);
  SockAddr addr = name_of(l);
  std::ostringstream cmd;
  cmd << "backlog " << addr.ip() << " " << addr.port() << " 4 300";
  // The accept queue holds backlog + 1 connections; the SYNs of the rest are
  // dropped, so their connect stays pending (D3, fixed).
  EXPECT_EQ(peer().command(cmd.str()), "backlog open open pending pending");
  // What was queued is a working connection.
  for (int i = 0; i < 2; ++i) {
    SockAddr from;
    int c = api().accept(l, from.get(), &from.len);
    ASSERT_GE(c, 0) << err();
    EXPECT_EQ(from.ip(), api().peer(family()));
    close_fd(c);
  }
  // The dropped clients retransmit their SYN and get in once there is room.
  set_timeout(l, SO_RCVTIMEO, 15'000);
  SockAddr from;
  int c = api().accept(l, from.get(), &from.len);
  ASSERT_GE(c, 0) << err();
  close_fd(c);
  EXPECT_EQ(peer().command("release"), "released");
}

// ---- would-block and timeouts ----

TEST_P(Tcp, NonBlockingRecvOnEmptyIsEagain) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  std::byte b{};
  EXPECT_FAILS_WITH(api().recv(fd, &b, 1, MSG_DONTWAIT), EAGAIN);
  ASSERT_EQ(api().set_nonblocking(fd, 1), 0) << err();
  EXPECT_FAILS_WITH(api().recv(fd, &b, 1, 0), EAGAIN);
}

TEST_P(Tcp, NonBlockingAcceptOnEmptyIsEagain) {
  int l = listen_here();
  ASSERT_EQ(api().set_nonblocking(l, 1), 0) << err();
  EXPECT_FAILS_WITH(api().accept(l, nullptr, nullptr), EAGAIN);
}

TEST_P(Tcp, RcvtimeoExpiryIsEagain) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  set_timeout(fd, SO_RCVTIMEO, 100);
  std::byte b{};
  EXPECT_FAILS_WITH(api().recv(fd, &b, 1, 0), EAGAIN);
  int l = listen_here();
  set_timeout(l, SO_RCVTIMEO, 100);
  EXPECT_FAILS_WITH(api().accept(l, nullptr, nullptr), EAGAIN);
}

// ---- misuse ----

TEST_P(Tcp, RecvOnUnconnectedSocketIsEnotconn) {
  int fd = open(SOCK_STREAM);
  std::byte b{};
  EXPECT_FAILS_WITH(api().recv(fd, &b, 1, 0), ENOTCONN);
}

TEST_P(Tcp, SendOnUnconnectedSocket) {
  int fd = open(SOCK_STREAM);
  const std::byte b{};
  // D4 (docs/conformance.md): Linux says EPIPE, Weft ENOTCONN.
  EXPECT_FAILS_WITH(api().send(fd, &b, 1, 0), per_backend(EPIPE, ENOTCONN));
}

TEST_P(Tcp, ConnectOnAListeningSocket) {
  int l = listen_here();
  auto to = service("echo");
  EXPECT_FAILS_WITH(api().connect(l, to.get(), to.len), EISCONN);  // D15, fixed
}

TEST_P(Tcp, ListenOnAConnectedSocketIsEinval) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  EXPECT_FAILS_WITH(api().listen(fd, 4), EINVAL);
}

TEST_P(Tcp, BindTwiceIsEinval) {
  int fd = open(SOCK_STREAM);
  auto addr = local_any_port();
  ASSERT_EQ(api().bind(fd, addr.get(), addr.len), 0) << err();
  EXPECT_FAILS_WITH(api().bind(fd, addr.get(), addr.len), EINVAL);
}

TEST_P(Tcp, AcceptOnASocketNotListeningIsEinval) {
  int fd = open(SOCK_STREAM);
  EXPECT_FAILS_WITH(api().accept(fd, nullptr, nullptr), EINVAL);
}

TEST_P(Tcp, BindToANonLocalAddressIsEaddrnotavail) {
  int fd = open(SOCK_STREAM);
  auto addr = SockAddr::make(family() == AF_INET ? "192.0.2.1" : "2001:db8::1", 0);
  EXPECT_FAILS_WITH(api().bind(fd, addr.get(), addr.len), EADDRNOTAVAIL);
}

TEST_P(Tcp, ConnectToAnAddressOfTheOtherFamily) {
  int fd = open(SOCK_STREAM);
  int other = family() == AF_INET ? AF_INET6 : AF_INET;
  auto to = SockAddr::make(api().peer(other), 9);
  // An IPv4 socket given an IPv6 address is EAFNOSUPPORT; an IPv6 socket given a
  // (shorter) IPv4 sockaddr is EINVAL (D5, fixed).
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len),
                    family() == AF_INET ? EAFNOSUPPORT : EINVAL);
}

TEST_P(Tcp, BindToAnAddressOfTheOtherFamily) {
  int fd = open(SOCK_STREAM);
  int other = family() == AF_INET ? AF_INET6 : AF_INET;
  auto addr = SockAddr::make(api().local(other), 0);
  // As connect: EAFNOSUPPORT for an IPv4 socket, EINVAL (short) for IPv6.
  EXPECT_FAILS_WITH(api().bind(fd, addr.get(), addr.len),
                    family() == AF_INET ? EAFNOSUPPORT : EINVAL);
}

}  // namespace

CONFORMANCE_INSTANTIATE(Tcp);

}  // namespace weft::conformance
