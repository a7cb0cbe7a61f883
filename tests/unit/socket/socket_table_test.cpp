// Socket semantics over the lwIP driver, in one process: connections to the
// netif's own address go through lwIP's loopback (no tap involved).
#include "socket/socket_table.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "socket/errno_map.hpp"
#include "support/pattern.hpp"
#include "support/recording_pump.hpp"
#include "support/sock_addr.hpp"
#include "stack/lwip/lwip_netif.hpp"
#include "stack/lwip/lwip_stack.hpp"
#include "tap/tap.hpp"

namespace weft::socket {
namespace {

using test_support::pattern;
using test_support::SockAddr;

struct Discard final : tap::FrameSink {
  void send_frames(std::span<const ByteSpan>) override {}
};

class SocketTableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tap_ = new tap::Tap(*Mac::parse("02:00:00:00:02:01"), 1500);
    tap_->attach_network(new Discard);
    stack::lwip::NetifConfig c;
    std::array<std::byte, 4> a4{std::byte{10}, std::byte{2}, std::byte{0}, std::byte{1}};
    c.ipv4 = stack::IpAddress::v4(a4);
    std::array<std::byte, 16> a6{};
    a6[0] = std::byte{0xfd};
    a6[1] = std::byte{0x02};
    a6[15] = std::byte{1};
    c.ipv6 = stack::IpAddress::v6(a6);
    auto n = stack::lwip::LwipNetif::attach(*tap_, c);
    ASSERT_TRUE(n.ok());
    n.value().release();
    table_ = new SocketTable(stack::lwip::LwipStack::instance());
  }

  SocketTable& t() { return *table_; }

  // A listener on addr:0; returns {fd, port}.
  std::pair<int, std::uint16_t> listener(bool ipv6 = false, int backlog = 16) {
    auto fd = t().open(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    EXPECT_TRUE(fd.ok());
    auto addr = SockAddr::make(ipv6 ? "fd02::1" : "10.2.0.1", 0);
    EXPECT_TRUE(t().bind(*fd, addr.get(), addr.len).ok());
    EXPECT_TRUE(t().listen(*fd, backlog).ok());
    SockAddr got;
    EXPECT_TRUE(t().getsockname(*fd, got.get(), &got.len).ok());
    const std::uint16_t port = got.port();
    EXPECT_NE(port, 0);
    return {*fd, port};
  }

  int connect_to(std::uint16_t port, bool ipv6 = false) {
    auto fd = t().open(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    EXPECT_TRUE(fd.ok());
      auto addr = SockAddr::make(ipv6 ? "fd02::1" : "10.2.0.1", port);
    auto r = t().connect(*fd, addr.get(), addr.len);
    EXPECT_TRUE(r.ok()) << (r ? "" : name(r.error()));
    return *fd;
  }

  // Reads until EOF.
  Bytes read_all(int fd) {
    Bytes out;
    std::vector<std::byte> buf(70000);
    for (;;) {
      auto r = t().recv(fd, buf, 0);
      if (!r) {
        ADD_FAILURE() << name(r.error());
        break;
      }
      if (*r == 0) break;
      out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
    }
    return out;
  }

  void echo_until_eof(int fd) {
    std::vector<std::byte> buf(32768);
    for (;;) {
      auto r = t().recv(fd, buf, 0);
      if (!r || *r == 0) break;
      auto w = t().send(fd, ByteSpan(buf.data(), *r), 0);
      if (!w || *w != *r) break;
    }
    (void)t().close(fd);
  }

  void echo_roundtrip(bool ipv6, std::size_t size) {
    auto [lfd, port] = listener(ipv6);
    std::thread server([&, l = lfd] {
      auto c = t().accept(l, nullptr, nullptr);
      ASSERT_TRUE(c.ok());
      echo_until_eof(*c);
    });
    int c = connect_to(port, ipv6);
    const Bytes data = pattern(size, 7);
    std::thread writer([&] {
      auto w = t().send(c, data, 0);
      EXPECT_TRUE(w.ok());
      EXPECT_EQ(w.value_or(0), data.size());
      EXPECT_TRUE(t().shutdown(c, SHUT_WR).ok());  // half-close: we still read
    });
    Bytes got = read_all(c);
    writer.join();
    server.join();
    EXPECT_EQ(got.size(), data.size());
    EXPECT_TRUE(equal_bytes(got, data));
    EXPECT_TRUE(t().close(c).ok());
    EXPECT_TRUE(t().close(lfd).ok());
  }

  static tap::Tap* tap_;
  static SocketTable* table_;
};
tap::Tap* SocketTableTest::tap_ = nullptr;
SocketTable* SocketTableTest::table_ = nullptr;

TEST_F(SocketTableTest, TcpEchoV4WithHalfClose) { echo_roundtrip(false, 3 * 1024 * 1024 + 17); }
TEST_F(SocketTableTest, TcpEchoV6WithHalfClose) { echo_roundtrip(true, 512 * 1024 + 3); }

// A connection this side closes first stays in TIME_WAIT for lwIP's two
// minutes, holding its port. Capped (as Linux caps its time-wait buckets), so
// a client may go on opening short connections past lwIP's 16,384 ephemeral
// ports, and memory stays bounded.
TEST_F(SocketTableTest, ShortConnectionsClosedFirstHereDoNotRunOutOfPorts) {
  auto [lfd, port] = listener(false, 64);
  constexpr int kConnections = 17'000;
  for (int i = 0; i < kConnections; ++i) {
    auto fd = t().open(AF_INET, SOCK_STREAM, 0);
    ASSERT_TRUE(fd.ok());
    auto addr = SockAddr::make("10.2.0.1", port);
    auto r = t().connect(*fd, addr.get(), addr.len);
    ASSERT_TRUE(r.ok()) << "connection " << i << ": " << name(r.error());
    auto s = t().accept(lfd, nullptr, nullptr);
    ASSERT_TRUE(s.ok());
    EXPECT_TRUE(t().close(*fd).ok());  // first: this end goes to TIME_WAIT
    EXPECT_TRUE(t().close(*s).ok());
  }
  EXPECT_TRUE(t().close(lfd).ok());
}

TEST_F(SocketTableTest, ConnectToClosedPortIsRefused) {
  auto fd = t().open(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(fd.ok());
  auto addr = SockAddr::make("10.2.0.1", 1);
  auto r = t().connect(*fd, addr.get(), addr.len);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(to_errno(r.error()), ECONNREFUSED);
  EXPECT_TRUE(t().close(*fd).ok());
}

TEST_F(SocketTableTest, NonBlockingConnectReportsThroughPollAndSoError) {
  auto [lfd, port] = listener();
  auto fd = t().open(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_TRUE(fd.ok());
  auto addr = SockAddr::make("10.2.0.1", port);
  auto r = t().connect(*fd, addr.get(), addr.len);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(to_errno(r.error()), EINPROGRESS);
  pollfd p{*fd, POLLOUT, 0};
  auto n = t().poll(&p, 1, -1);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_NE(p.revents & POLLOUT, 0);
  int err = -1;
  socklen_t elen = sizeof err;
  ASSERT_TRUE(t().getsockopt(*fd, SOL_SOCKET, SO_ERROR, &err, &elen).ok());
  EXPECT_EQ(err, 0);
  SockAddr peer;
  ASSERT_TRUE(t().getpeername(*fd, peer.get(), &peer.len).ok());
  EXPECT_EQ(peer.len, sizeof(sockaddr_in));
  EXPECT_EQ(peer, addr);

  // Refused, non-blocking: the outcome arrives in SO_ERROR.
  auto fd2 = t().open(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  auto closed = SockAddr::make("10.2.0.1", 2);
  r = t().connect(*fd2, closed.get(), closed.len);
  EXPECT_EQ(to_errno(r.error()), EINPROGRESS);
  pollfd p2{*fd2, POLLOUT, 0};
  ASSERT_TRUE(t().poll(&p2, 1, -1).ok());
  EXPECT_NE(p2.revents & (POLLERR | POLLHUP), 0);
  ASSERT_TRUE(t().getsockopt(*fd2, SOL_SOCKET, SO_ERROR, &err, &elen).ok());
  EXPECT_EQ(err, ECONNREFUSED);
  (void)t().close(*fd);
  (void)t().close(*fd2);
  (void)t().close(lfd);
}

TEST_F(SocketTableTest, ConnectTimeoutAbortsAndPollTimesOut) {
  // 10.2.0.77 never answers ARP (frames go to a discarding sink).
  auto fd = t().open(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(fd.ok());
  auto addr = SockAddr::make("10.2.0.77", 80);
  auto r = t().connect(*fd, addr.get(), addr.len, std::chrono::milliseconds(50));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(to_errno(r.error()), ETIMEDOUT);
  (void)t().close(*fd);

  auto nb = t().open(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_TRUE(nb.ok());
  EXPECT_EQ(to_errno(t().connect(*nb, addr.get(), addr.len).error()), EINPROGRESS);
  EXPECT_EQ(to_errno(t().connect(*nb, addr.get(), addr.len).error()), EALREADY) << "still pending";
  pollfd p{*nb, POLLOUT, 0};
  auto n = t().poll(&p, 1, 30);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0) << "nothing happens before the timeout";
  EXPECT_EQ(p.revents, 0);
  (void)t().close(*nb);
}

TEST_F(SocketTableTest, ReceiveTimeoutReturnsEagain) {
  auto [lfd, port] = listener();
  int c = connect_to(port);
  timeval tv{0, 30'000};
  ASSERT_TRUE(t().setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv).ok());
  std::byte b[4];
  auto r = t().recv(c, b, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(to_errno(r.error()), EAGAIN);
  (void)t().close(c);
  (void)t().close(lfd);
}

TEST_F(SocketTableTest, SlowReaderClosesTheWindowAndNothingIsLost) {
  auto [lfd, port] = listener();
  int c = connect_to(port);
  auto s = t().accept(lfd, nullptr, nullptr);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(t().set_nonblocking(c, true).ok());
  const Bytes data = pattern(1 << 20, 3);
  std::size_t sent = 0;
  // Nobody reads: the sender must hit EAGAIN once the receiver's buffer (SO_RCVBUF,
  // 256 KiB, the window included) and the sender's (SO_SNDBUF, 192 KiB) are full,
  // not queue without bound.
  for (int rounds = 0; rounds < 10000; ++rounds) {
    auto w = t().send(c, ByteSpan(data).subspan(sent), 0);
    if (!w) {
      ASSERT_EQ(to_errno(w.error()), EAGAIN);
      // Let in-flight segments and ACKs settle, then confirm it stays full.
      pollfd p{c, POLLOUT, 0};
      auto n = t().poll(&p, 1, 50);
      ASSERT_TRUE(n.ok());
      if (*n == 0) break;
      continue;
    }
    sent += *w;
  }
  EXPECT_GT(sent, 64U * 1024U);
  EXPECT_LE(sent, 256U * 1024U + 192U * 1024U + 1460U);
  ASSERT_TRUE(t().set_nonblocking(c, false).ok());
  std::thread rest([&] {
    ASSERT_TRUE(t().send(c, ByteSpan(data).subspan(sent), 0).ok());
    ASSERT_TRUE(t().shutdown(c, SHUT_WR).ok());
  });
  Bytes got = read_all(*s);
  rest.join();
  EXPECT_TRUE(equal_bytes(got, data));
  (void)t().close(c);
  (void)t().close(*s);
  (void)t().close(lfd);
}

TEST_F(SocketTableTest, UdpKeepsDatagramBoundariesAndSenders) {
  auto a = t().open(AF_INET, SOCK_DGRAM, 0);
  auto b = t().open(AF_INET, SOCK_DGRAM, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  auto any = SockAddr::make("10.2.0.1", 0);
  ASSERT_TRUE(t().bind(*a, any.get(), any.len).ok());
  ASSERT_TRUE(t().bind(*b, any.get(), any.len).ok());
  SockAddr baddr;
  SockAddr aaddr;
  ASSERT_TRUE(t().getsockname(*b, baddr.get(), &baddr.len).ok());
  ASSERT_TRUE(t().getsockname(*a, aaddr.get(), &aaddr.len).ok());
  const std::size_t sizes[] = {1, 1000, 1472, 0, 9000};
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    Bytes d = pattern(sizes[i], static_cast<std::uint32_t>(i));
    auto w = t().sendto(*a, d, 0, baddr.get(), baddr.len);
    ASSERT_TRUE(w.ok()) << name(w.error());
    EXPECT_EQ(*w, sizes[i]);
  }
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    std::vector<std::byte> buf(20000);
    SockAddr from;
    auto r = t().recvfrom(*b, buf, 0, from.get(), &from.len);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(*r, sizes[i]);
    EXPECT_TRUE(equal_bytes(ByteSpan(buf.data(), *r), pattern(sizes[i], static_cast<std::uint32_t>(i))));
    EXPECT_EQ(from, aaddr);
  }
  // A datagram larger than the buffer is truncated and the rest discarded.
  Bytes big = pattern(100, 9);
  ASSERT_TRUE(t().sendto(*a, big, 0, baddr.get(), baddr.len).ok());
  ASSERT_TRUE(t().sendto(*a, ByteSpan(big).first(5), 0, baddr.get(), baddr.len).ok());
  std::byte small[10];
  auto r = t().recv(*b, small, 0);
  ASSERT_EQ(r.value_or(0), 10U);
  EXPECT_TRUE(equal_bytes(ByteSpan(small, 10), ByteSpan(big).first(10)));
  r = t().recv(*b, small, 0);
  ASSERT_EQ(r.value_or(0), 5U);
  auto too_big = Bytes(70000);
  auto w = t().sendto(*a, too_big, 0, baddr.get(), baddr.len);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(to_errno(w.error()), EMSGSIZE);
  (void)t().close(*a);
  (void)t().close(*b);
}

TEST_F(SocketTableTest, MsgTruncReportsTheDatagramLengthOnUdpAndIsRefusedOnTcp) {
  auto a = t().open(AF_INET, SOCK_DGRAM, 0);
  auto b = t().open(AF_INET, SOCK_DGRAM, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  auto any = SockAddr::make("10.2.0.1", 0);
  ASSERT_TRUE(t().bind(*b, any.get(), any.len).ok());
  SockAddr baddr;
  ASSERT_TRUE(t().getsockname(*b, baddr.get(), &baddr.len).ok());
  Bytes d = pattern(300, 4);
  ASSERT_TRUE(t().sendto(*a, d, 0, baddr.get(), baddr.len).ok());
  ASSERT_TRUE(t().sendto(*a, d, 0, baddr.get(), baddr.len).ok());
  std::byte small[10];
  auto r = t().recv(*b, small, MSG_TRUNC);
  ASSERT_TRUE(r.ok()) << name(r.error());
  EXPECT_EQ(*r, 300U);
  EXPECT_TRUE(equal_bytes(ByteSpan(small, 10), ByteSpan(d).first(10)));
  SockAddr from;
  r = t().recvfrom(*b, small, MSG_TRUNC, from.get(), &from.len);
  ASSERT_TRUE(r.ok()) << name(r.error());
  EXPECT_EQ(*r, 300U);
  auto s = t().open(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(s.ok());
  r = t().recv(*s, small, MSG_TRUNC);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(to_errno(r.error()), EOPNOTSUPP);
  (void)t().close(*a);
  (void)t().close(*b);
  (void)t().close(*s);
}

TEST_F(SocketTableTest, V6OnlySocketsRefuseMappedAddresses) {
  auto mapped = SockAddr::make("::ffff:10.2.0.1", 9);
  auto tcp = t().open(AF_INET6, SOCK_STREAM, 0);
  auto udp = t().open(AF_INET6, SOCK_DGRAM, 0);
  ASSERT_TRUE(tcp.ok() && udp.ok());
  for (int fd : {*tcp, *udp}) {
    int v = -1;
    socklen_t len = sizeof v;
    ASSERT_TRUE(t().getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len).ok());
    EXPECT_EQ(v, 0);  // dual-stack by default, as Linux
    const int on = 1;
    ASSERT_TRUE(t().setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on).ok());
  }
  // Refused at once (lwIP would wait for neighbour discovery that never answers).
  auto c = t().connect(*tcp, mapped.get(), mapped.len);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(to_errno(c.error()), ENETUNREACH);
  const std::byte b{};
  auto w = t().sendto(*udp, ByteSpan(&b, 1), 0, mapped.get(), mapped.len);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(to_errno(w.error()), ENETUNREACH);
  c = t().connect(*udp, mapped.get(), mapped.len);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(to_errno(c.error()), ENETUNREACH);
  // The other family: EAFNOSUPPORT; a sockaddr_in on an IPv6 socket is short: EINVAL.
  auto v4sock = t().open(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(v4sock.ok());
  auto six = SockAddr::make("fd02::1", 9);
  c = t().connect(*v4sock, six.get(), six.len);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(to_errno(c.error()), EAFNOSUPPORT);
  auto four = SockAddr::make("10.2.0.1", 9);
  c = t().connect(*tcp, four.get(), four.len);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(to_errno(c.error()), EINVAL);
  (void)t().close(*tcp);
  (void)t().close(*udp);
  (void)t().close(*v4sock);
}

TEST_F(SocketTableTest, MisuseReturnsDocumentedErrors) {
  std::byte b[4];
  EXPECT_EQ(to_errno(t().recv(12345, b, 0).error()), EBADF);
  EXPECT_EQ(to_errno(t().close(-1).error()), EBADF);
  EXPECT_EQ(to_errno(t().open(AF_UNIX, SOCK_STREAM, 0).error()), EOPNOTSUPP);
  EXPECT_EQ(to_errno(t().open(AF_INET, SOCK_RAW, 0).error()), EOPNOTSUPP);
  auto fd = t().open(AF_INET, SOCK_STREAM, 0);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(to_errno(t().bind(*fd, nullptr, 16).error()), EINVAL);
  auto a6 = SockAddr::make("fd02::1", 0);
  EXPECT_EQ(to_errno(t().bind(*fd, a6.get(), a6.len).error()), EAFNOSUPPORT) << "wrong family";
  auto foreign = SockAddr::make("10.9.9.9", 0);
  EXPECT_EQ(to_errno(t().bind(*fd, foreign.get(), foreign.len).error()), EADDRNOTAVAIL);
  EXPECT_EQ(to_errno(t().recv(*fd, b, 0).error()), ENOTCONN);
  EXPECT_EQ(to_errno(t().send(*fd, ByteSpan(b, 4), 0).error()), ENOTCONN);
  EXPECT_EQ(to_errno(t().getsockopt(*fd, SOL_SOCKET, SO_ERROR, nullptr, nullptr).error()), EINVAL);
  int v = 1;
  EXPECT_EQ(to_errno(t().setsockopt(*fd, SOL_SOCKET, SO_BROADCAST, &v, sizeof v).error()), EOPNOTSUPP);
  ASSERT_TRUE(t().close(*fd).ok());
  EXPECT_EQ(to_errno(t().close(*fd).error()), EBADF) << "use after close";
  EXPECT_EQ(to_errno(t().send(*fd, ByteSpan(b, 4), 0).error()), EBADF);
  pollfd p{*fd, POLLIN, 0};
  EXPECT_EQ(t().poll(&p, 1, 0).value_or(-1), 1);
  EXPECT_EQ(p.revents, POLLNVAL);
}

TEST_F(SocketTableTest, OptionsRoundTrip) {
  auto [lfd, port] = listener();
  int c = connect_to(port);
  int one = 1, v = 0;
  socklen_t len = sizeof v;
  ASSERT_TRUE(t().setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one).ok());
  ASSERT_TRUE(t().getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len).ok());
  EXPECT_EQ(v, 1);
  ASSERT_TRUE(t().setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one).ok());
  ASSERT_TRUE(t().getsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &v, &len).ok());
  EXPECT_EQ(v, 1);
  int idle = 7;
  ASSERT_TRUE(t().setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle).ok());
  ASSERT_TRUE(t().getsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len).ok());
  EXPECT_EQ(v, 7);
  ASSERT_TRUE(t().getsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, &len).ok());
  EXPECT_EQ(v, 256 * 1024);
  int big = 1 << 20, small = 1000;
  ASSERT_TRUE(t().setsockopt(c, SOL_SOCKET, SO_RCVBUF, &big, sizeof big).ok());
  ASSERT_TRUE(t().getsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, &len).ok());
  EXPECT_EQ(v, 1 << 20);
  ASSERT_TRUE(t().setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small).ok());
  ASSERT_TRUE(t().getsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, &len).ok());
  EXPECT_EQ(v, 65535) << "never below the TCP window";
  ASSERT_TRUE(t().getsockopt(c, SOL_SOCKET, SO_SNDBUF, &v, &len).ok());
  EXPECT_EQ(v, 192 * 1024);
  ASSERT_TRUE(t().getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &len).ok());
  EXPECT_EQ(v, SOCK_STREAM);
  timeval tv{1, 500'000}, got{};
  socklen_t tlen = sizeof got;
  ASSERT_TRUE(t().setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv).ok());
  ASSERT_TRUE(t().getsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &got, &tlen).ok());
  EXPECT_EQ(got.tv_sec, 1);
  EXPECT_EQ(got.tv_usec, 500'000);
  (void)t().close(c);
  (void)t().close(lfd);
}

TEST_F(SocketTableTest, LingerZeroResetsThePeer) {
  auto [lfd, port] = listener();
  int c = connect_to(port);
  auto s = t().accept(lfd, nullptr, nullptr);
  ASSERT_TRUE(s.ok());
  linger l{1, 0};
  ASSERT_TRUE(t().setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l).ok());
  ASSERT_TRUE(t().close(c).ok());
  std::byte b[8];
  auto r = t().recv(*s, b, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(to_errno(r.error()), ECONNRESET);
  (void)t().close(*s);
  (void)t().close(lfd);
}

TEST_F(SocketTableTest, LingerCloseDeliversEverythingThenEof) {
  auto [lfd, port] = listener();
  int c = connect_to(port);
  auto s = t().accept(lfd, nullptr, nullptr);
  ASSERT_TRUE(s.ok());
  const Bytes data = pattern(150'000, 5);
  ASSERT_EQ(t().send(c, data, 0).value_or(0), data.size());
  linger l{1, 5};
  ASSERT_TRUE(t().setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l).ok());
  ASSERT_TRUE(t().close(c).ok());  // waits until the peer acknowledged it all
  Bytes got = read_all(*s);
  EXPECT_TRUE(equal_bytes(got, data));
  (void)t().close(*s);
  (void)t().close(lfd);
}

TEST_F(SocketTableTest, BacklogOverflowDropsTheExtraSyns) {
  auto [lfd, port] = listener(false, 2);
  // The accept queue holds backlog + 1 = 3, as on Linux; the SYNs of the other
  // two are dropped, so their connects stay pending (here cut short by a timeout)
  // instead of being reset.
  std::vector<std::string> outcomes;
  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) {
    auto fd = t().open(AF_INET, SOCK_STREAM, 0);
    ASSERT_TRUE(fd.ok());
    clients.push_back(*fd);
      auto addr = SockAddr::make("10.2.0.1", port);
    auto r = t().connect(*fd, addr.get(), addr.len, SocketTable::Millis(300));
    outcomes.emplace_back(r ? "open" : r.error() == Error::timed_out ? "pending" : std::string(message(r.error())));
  }
  EXPECT_EQ(outcomes, (std::vector<std::string>{"open", "open", "open", "pending", "pending"}));
  ASSERT_TRUE(t().set_nonblocking(lfd, true).ok());
  int accepted = 0;
  std::vector<int> servers;
  for (;;) {
    auto a = t().accept(lfd, nullptr, nullptr);
    if (!a) {
      EXPECT_EQ(to_errno(a.error()), EAGAIN);
      break;
    }
    servers.push_back(*a);
    ++accepted;
  }
  EXPECT_EQ(accepted, 3);
  for (int c : clients) (void)t().close(c);
  for (int s : servers) (void)t().close(s);
  (void)t().close(lfd);
}

TEST_F(SocketTableTest, CloseWakesABlockedReceiver) {
  auto [lfd, port] = listener();
  int c = connect_to(port);
  std::thread reader([&] {
    std::byte b[8];
    auto r = t().recv(c, b, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(to_errno(r.error()), EBADF);
  });
  // The reader may or may not be asleep yet: either way it must return EBADF.
  (void)t().close(c);
  reader.join();
  (void)t().close(lfd);
}

// A table of its own (on the same stack) whose receivers linger until
// something ends it, with a link that records when its own thread defers.
class LingeringTable {
 public:
  LingeringTable() : table_(stack::lwip::LwipStack::instance(), 64, std::chrono::hours(1)) {
    table_.add_receive_pump(link_);
  }
  ~LingeringTable() { table_.remove_receive_pump(link_); }
  LingeringTable(const LingeringTable&) = delete;
  LingeringTable& operator=(const LingeringTable&) = delete;

  SocketTable& t() { return table_; }
  // Whether the link's own thread defers to a thread of the table now.
  bool deferring() {
    auto d = link_.deferred();
    return !d.empty() && d.back();
  }
  std::size_t defer_calls() { return link_.deferred().size(); }
  // Returns once `f` holds (false after 30 s).
  template <typename F>
  static bool eventually(F f) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!f()) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  // This thread receives a byte `writer` sends once the links' own thread
  // defers (to this thread, blocked in the receive, unless it lingers from an
  // earlier call already); it lingers after.
  void receive_one(int reader, int writer) {
    std::thread w([&] {
      EXPECT_TRUE(eventually([&] { return deferring(); }));
      const std::byte b{'1'};
      EXPECT_EQ(table_.send(writer, {&b, 1}, 0).value_or(0), 1U);
    });
    std::byte b{};
    EXPECT_EQ(table_.recv(reader, {&b, 1}, 0).value_or(0), 1U);
    w.join();
  }

  // A connected pair {client, server} on a new listener (closed again).
  std::pair<int, int> connected_pair() {
    auto l = table_.open(AF_INET, SOCK_STREAM, 0);
    auto any = SockAddr::make("10.2.0.1", 0);
    EXPECT_TRUE(table_.bind(*l, any.get(), any.len).ok());
    EXPECT_TRUE(table_.listen(*l, 4).ok());
    SockAddr at;
    EXPECT_TRUE(table_.getsockname(*l, at.get(), &at.len).ok());
    auto c = table_.open(AF_INET, SOCK_STREAM, 0);
    auto to = SockAddr::make("10.2.0.1", at.port());
    EXPECT_TRUE(table_.connect(*c, to.get(), to.len).ok());
    auto s = table_.accept(*l, nullptr, nullptr);
    EXPECT_TRUE(s.ok());
    (void)table_.close(*l);
    return {*c, *s};
  }

 private:
  test_support::RecordingPump link_;
  SocketTable table_;
};

// A send waiting for room needs the ACKs the link's thread receives: a
// thread lingering after its own call does not hold them back.
TEST_F(SocketTableTest, ASendWaitingForRoomStopsALingeringReceiver) {
  LingeringTable lt;
  auto [c, s] = lt.connected_pair();
  lt.receive_one(s, c);
  ASSERT_TRUE(lt.deferring()) << "this thread lingers";
  const Bytes data = pattern(4 * 1024 * 1024, 5);  // far beyond both buffers
  std::thread sender([&, c = c] { EXPECT_EQ(lt.t().send(c, data, 0).value_or(0), data.size()); });
  EXPECT_TRUE(lt.eventually([&] { return !lt.deferring(); }));
  Bytes got;
  std::vector<std::byte> buf(65536);
  while (got.size() < data.size()) {
    auto r = lt.t().recv(s, buf, 0);
    ASSERT_TRUE(r.ok() && *r > 0);
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
  }
  sender.join();
  EXPECT_TRUE(equal_bytes(got, data));
  (void)lt.t().close(c);
  (void)lt.t().close(s);
}

// The fd bridge's thread waits on its sockets without receiving for the
// links: while it has any, a receiver stops with its call.
TEST_F(SocketTableTest, NoReceiverLingersWhileTheFdBridgeHasSockets) {
  LingeringTable lt;
  auto [c, s] = lt.connected_pair();
  lt.receive_one(s, c);
  ASSERT_TRUE(lt.deferring()) << "this thread lingers";
  auto k = lt.t().export_fd(c);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(lt.eventually([&] { return !lt.deferring(); }));
  // A receive that blocks (the byte is written once it has claimed the link)
  // leaves no receiver behind.
  const std::size_t before = lt.defer_calls();
  std::thread writer([&, k = *k] {
    EXPECT_TRUE(lt.eventually([&] { return lt.defer_calls() > before; }));
    EXPECT_EQ(::write(k, "x", 1), 1);
  });
  std::byte b{};
  EXPECT_EQ(lt.t().recv(s, {&b, 1}, 0).value_or(0), 1U);
  writer.join();
  EXPECT_EQ(b, std::byte{'x'});
  EXPECT_FALSE(lt.deferring());
  ::close(*k);
  (void)lt.t().close(s);
}

TEST_F(SocketTableTest, FdModeWorksFromAPlainEpollLoop) {
  auto [lfd, port] = listener();
  int c = connect_to(port);
  auto s = t().accept(lfd, nullptr, nullptr);
  ASSERT_TRUE(s.ok());
  std::thread server([&, sfd = *s] { echo_until_eof(sfd); });
  auto k = t().export_fd(c);
  ASSERT_TRUE(k.ok());
  const int kfd = *k;
  EXPECT_EQ(to_errno(t().recv(c, {}, 0).error()), EBADF) << "the descriptor moved";
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.fd = kfd;
  ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, kfd, &ev), 0);
  const Bytes data = pattern(2 * 1024 * 1024 + 5, 11);
  std::size_t sent = 0;
  Bytes got;
  bool shut = false;
  std::vector<std::byte> buf(65536);
  while (true) {
    epoll_event out[4];
    int n = epoll_wait(ep, out, 4, -1);
    ASSERT_GT(n, 0);
    for (int i = 0; i < n; ++i) {
      if ((out[i].events & EPOLLOUT) != 0 && sent < data.size()) {
        ssize_t w = ::write(kfd, data.data() + sent, std::min<std::size_t>(65536, data.size() - sent));
        if (w > 0) sent += static_cast<std::size_t>(w);
        if (sent == data.size() && !shut) {
          ::shutdown(kfd, SHUT_WR);
          shut = true;
          ev.events = EPOLLIN;
          epoll_ctl(ep, EPOLL_CTL_MOD, kfd, &ev);
        }
      }
      if ((out[i].events & (EPOLLIN | EPOLLHUP)) != 0) {
        ssize_t r = ::read(kfd, buf.data(), buf.size());
        ASSERT_GE(r, 0);
        if (r == 0) goto done;
        got.insert(got.end(), buf.begin(), buf.begin() + r);
      }
    }
  }
done:
  server.join();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(equal_bytes(got, data));
  ::close(ep);
  ::close(kfd);
  (void)t().close(lfd);
}

}  // namespace
}  // namespace weft::socket
