// UDP behaviour, the same cases against the kernel and Weft, IPv4 and IPv6.

#include <netinet/in.h>

#include <sstream>
#include <vector>

#include "conformance/fixture.hpp"

namespace weft::conformance {
namespace {

class Udp : public Conformance {
 protected:
  // A UDP socket bound to this process's address (port 0), with a receive
  // timeout so a lost datagram fails the case instead of hanging it.
  int bound_socket() {
    int fd = open(SOCK_DGRAM);
    auto addr = local_any_port();
    EXPECT_EQ(api().bind(fd, addr.get(), addr.len), 0) << err();
    set_timeout(fd, SO_RCVTIMEO, 5000);
    return fd;
  }

  // Bound, connected to a port where nothing listens, one datagram sent: the
  // peer's stack answers with an ICMP port unreachable.
  int connected_to_closed_port() {
    int fd = bound_socket();
    auto to = service("udpclosed");
    EXPECT_EQ(api().connect(fd, to.get(), to.len), 0) << err();
    const std::byte b{1};
    EXPECT_EQ(api().send(fd, &b, 1, 0), 1) << err();
    return fd;
  }

  void send_to_echo(int fd, ByteSpan data) {
    auto to = service("udp");
    EXPECT_EQ(api().sendto(fd, data.data(), data.size(), 0, to.get(), to.len),
              static_cast<ssize_t>(data.size()))
        << err();
  }
};

TEST_P(Udp, PreservesDatagramBoundariesAndOrder) {
  int fd = bound_socket();
  const std::vector<std::size_t> sizes{1, 100, 1200, 7, 512};
  std::vector<Bytes> sent;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    sent.push_back(pattern(sizes[i], static_cast<std::uint32_t>(10 + i)));
    send_to_echo(fd, sent.back());
    // One at a time: loopback UDP may reorder nothing, but a full receive
    // queue anywhere could drop; this case is about boundaries.
    Bytes buf(4096);
    ssize_t n = api().recv(fd, buf.data(), buf.size(), 0);
    ASSERT_EQ(n, static_cast<ssize_t>(sizes[i])) << "datagram " << i << ": " << err();
    buf.resize(static_cast<std::size_t>(n));
    EXPECT_TRUE(buf == sent.back()) << "datagram " << i;
  }
}

TEST_P(Udp, BurstKeepsEachDatagramWhole) {
  int fd = bound_socket();
  std::vector<Bytes> sent;
  for (std::uint32_t i = 0; i < 8; ++i) {
    sent.push_back(pattern(100 + i * 150, 20 + i));
    send_to_echo(fd, sent.back());
  }
  for (std::size_t i = 0; i < sent.size(); ++i) {
    Bytes buf(4096);
    ssize_t n = api().recv(fd, buf.data(), buf.size(), 0);
    ASSERT_GT(n, 0) << err();
    buf.resize(static_cast<std::size_t>(n));
    EXPECT_TRUE(buf == sent[i]) << "datagram " << i << " of " << n << " bytes";
  }
}

TEST_P(Udp, ZeroLengthDatagram) {
  int fd = bound_socket();
  send_to_echo(fd, {});
  std::byte b{};
  SockAddr from;
  EXPECT_EQ(api().recvfrom(fd, &b, 1, 0, from.get(), &from.len), 0) << err();
  EXPECT_EQ(from, service("udp"));
}

TEST_P(Udp, RecvfromReportsTheSourceAndThePeerSeesOurs) {
  int fd = bound_socket();
  SockAddr me = name_of(fd);
  EXPECT_EQ(me.ip(), api().local(family()));
  EXPECT_NE(me.port(), 0);
  const Bytes data = pattern(300, 30);
  send_to_echo(fd, data);
  Bytes buf(1000);
  SockAddr from;
  ssize_t n = api().recvfrom(fd, buf.data(), buf.size(), 0, from.get(), &from.len);
  ASSERT_EQ(n, 300) << err();
  EXPECT_EQ(from.len, family() == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
  EXPECT_EQ(from, service("udp"));
  EXPECT_EQ(peer().command("udplast"), "udplast " + me.to_string() + " 300");
}

TEST_P(Udp, DatagramLargerThanTheBufferIsTruncatedAndTheRestDiscarded) {
  int fd = bound_socket();
  const Bytes big = pattern(1000, 31);
  const Bytes next = pattern(50, 32);
  send_to_echo(fd, big);
  Bytes buf(100);
  ASSERT_EQ(api().recv(fd, buf.data(), buf.size(), 0), 100) << err();
  EXPECT_TRUE(std::equal(buf.begin(), buf.end(), big.begin()));
  send_to_echo(fd, next);
  Bytes buf2(1000);
  ssize_t n = api().recv(fd, buf2.data(), buf2.size(), 0);
  ASSERT_EQ(n, 50) << err();
  buf2.resize(50);
  EXPECT_TRUE(buf2 == next);
}

TEST_P(Udp, MsgTruncOnRecvReturnsTheRealLength) {
  int fd = bound_socket();
  const Bytes big = pattern(1000, 33);
  send_to_echo(fd, big);
  Bytes buf(100);
  ssize_t n = api().recv(fd, buf.data(), buf.size(), MSG_TRUNC);
  EXPECT_EQ(n, 1000) << err() << " (D6, fixed)";
  EXPECT_TRUE(std::equal(buf.begin(), buf.end(), big.begin()));
}

TEST_P(Udp, DatagramLargerThanTheLinkMtuIsFragmentedAndReassembled) {
  int fd = bound_socket();
  const Bytes data = pattern(8000, 34);
  send_to_echo(fd, data);
  Bytes buf(10'000);
  ssize_t n = api().recv(fd, buf.data(), buf.size(), 0);
  ASSERT_EQ(n, 8000) << err();
  buf.resize(8000);
  EXPECT_TRUE(buf == data);
}

TEST_P(Udp, OversizedDatagramIsEmsgsize) {
  int fd = bound_socket();
  // The largest UDP payload: 65535 - 8 - 20 for IPv4, 65535 - 8 for IPv6.
  const std::size_t too_big = family() == AF_INET ? 65'508 : 65'528;
  const Bytes data(too_big);
  auto to = service("udp");
  EXPECT_FAILS_WITH(api().sendto(fd, data.data(), data.size(), 0, to.get(), to.len), EMSGSIZE);
}

TEST_P(Udp, NonBlockingRecvOnEmptyIsEagain) {
  int fd = bound_socket();
  std::byte b{};
  SockAddr from;
  EXPECT_FAILS_WITH(api().recvfrom(fd, &b, 1, MSG_DONTWAIT, from.get(), &from.len), EAGAIN);
  ASSERT_EQ(api().set_nonblocking(fd, 1), 0) << err();
  EXPECT_FAILS_WITH(api().recv(fd, &b, 1, 0), EAGAIN);
}

TEST_P(Udp, RcvtimeoExpiryIsEagain) {
  int fd = bound_socket();
  set_timeout(fd, SO_RCVTIMEO, 100);
  std::byte b{};
  EXPECT_FAILS_WITH(api().recv(fd, &b, 1, 0), EAGAIN);
}

TEST_P(Udp, ConnectedSocketSendsAndReceivesWithoutAddresses) {
  int fd = bound_socket();
  auto to = service("udp");
  ASSERT_EQ(api().connect(fd, to.get(), to.len), 0) << err();
  EXPECT_EQ(peer_of(fd), to);
  const Bytes data = pattern(200, 35);
  ASSERT_EQ(api().send(fd, data.data(), data.size(), 0), 200) << err();
  Bytes buf(1000);
  ssize_t n = api().recv(fd, buf.data(), buf.size(), 0);
  ASSERT_EQ(n, 200) << err();
  buf.resize(200);
  EXPECT_TRUE(buf == data);
}

TEST_P(Udp, SendOnUnconnectedSocketWithoutAddress) {
  int fd = bound_socket();
  const std::byte b{};
  EXPECT_FAILS_WITH(api().send(fd, &b, 1, 0), EDESTADDRREQ);  // D7, fixed
}

TEST_P(Udp, ConnectedSocketLearnsThatThePortIsClosed) {
  int fd = connected_to_closed_port();
  std::byte r{};
  // The ICMP port unreachable comes back as the socket's error (D18, fixed).
  EXPECT_FAILS_WITH(api().recv(fd, &r, 1, 0), ECONNREFUSED);
  EXPECT_EQ(errno_name(so_error(fd)), "0");  // reported once
  set_timeout(fd, SO_RCVTIMEO, 100);
  EXPECT_FAILS_WITH(api().recv(fd, &r, 1, 0), EAGAIN);
}

TEST_P(Udp, PortUnreachablePollsAsErrorAndIsReadFromSoError) {
  int fd = connected_to_closed_port();
  // An error is not data: POLLERR (and writable), not POLLIN.
  EXPECT_EQ(wait_for(fd, POLLIN), POLLERR);
  EXPECT_EQ(wait_for(fd, POLLIN | POLLOUT), POLLERR | POLLOUT);
  EXPECT_EQ(errno_name(so_error(fd)), "ECONNREFUSED");
  EXPECT_EQ(errno_name(so_error(fd)), "0");
  EXPECT_EQ(wait_for(fd, POLLIN | POLLOUT, 0), POLLOUT);
}

TEST_P(Udp, SendAfterPortUnreachableFailsOnceWithEconnrefused) {
  int fd = connected_to_closed_port();
  ASSERT_EQ(wait_for(fd, POLLIN), POLLERR);
  const std::byte b{2};
  EXPECT_FAILS_WITH(api().send(fd, &b, 1, 0), ECONNREFUSED);
  EXPECT_EQ(api().send(fd, &b, 1, 0), 1) << err();
}

TEST_P(Udp, UnconnectedSocketIgnoresPortUnreachable) {
  int fd = bound_socket();
  auto closed = service("udpclosed");
  const std::byte b{3};
  ASSERT_EQ(api().sendto(fd, &b, 1, 0, closed.get(), closed.len), 1) << err();
  // The echo's reply travels behind the ICMP error of the first datagram.
  const Bytes data = pattern(40, 36);
  send_to_echo(fd, data);
  Bytes buf(100);
  ssize_t n = api().recv(fd, buf.data(), buf.size(), 0);
  ASSERT_EQ(n, 40) << err();
  buf.resize(40);
  EXPECT_TRUE(buf == data);
  EXPECT_EQ(errno_name(so_error(fd)), "0");
}

// ---- addresses of the other family ----

TEST_P(Udp, BindToAnAddressOfTheOtherFamily) {
  int fd = open(SOCK_DGRAM);
  int other = family() == AF_INET ? AF_INET6 : AF_INET;
  auto addr = SockAddr::make(api().local(other), 0);
  // IPv4 socket, sockaddr_in6: EAFNOSUPPORT; IPv6 socket, (shorter) sockaddr_in:
  // EINVAL, the length is checked first.
  EXPECT_FAILS_WITH(api().bind(fd, addr.get(), addr.len),
                    family() == AF_INET ? EAFNOSUPPORT : EINVAL);
}

TEST_P(Udp, SendtoAnAddressOfTheOtherFamily) {
  int fd = bound_socket();
  int other = family() == AF_INET ? AF_INET6 : AF_INET;
  auto to = SockAddr::make(api().peer(other), peer().port("udp", other));
  const std::byte b{4};
  // An IPv6 socket bound to an IPv6 address is IPv6-only on Linux (whatever
  // IPV6_V6ONLY says), as Weft's sockets always are: an IPv4 destination is
  // ENETUNREACH. (Unbound, Linux's would send a sockaddr_in over IPv4: D19.)
  EXPECT_FAILS_WITH(api().sendto(fd, &b, 1, 0, to.get(), to.len),
                    family() == AF_INET ? EAFNOSUPPORT : ENETUNREACH);
}

TEST_P(Udp, ConnectToAnAddressOfTheOtherFamily) {
  int fd = bound_socket();
  int other = family() == AF_INET ? AF_INET6 : AF_INET;
  auto to = SockAddr::make(api().peer(other), peer().port("udp", other));
  // Bound to an IPv6 address, IPv6-only as above: EAFNOSUPPORT both ways.
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), EAFNOSUPPORT);
}

}  // namespace

CONFORMANCE_INSTANTIATE(Udp);

}  // namespace weft::conformance
