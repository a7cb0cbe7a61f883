// Dual-stack IPv6 sockets: an IPv6 socket with IPV6_V6ONLY 0 (Linux's default)
// speaks IPv4 through IPv4-mapped addresses (::ffff:a.b.c.d), and one bound to
// :: takes both families. The same cases against the kernel and Weft; each
// opens its IPv6 sockets itself, so the suite runs once per backend (v4).

#include <netinet/in.h>

#include <string>

#include "conformance/fixture.hpp"

namespace weft::conformance {
namespace {

class DualStack : public Conformance {
 protected:
  static std::string mapped(const std::string& v4) { return "::ffff:" + v4; }

  int open6(int type) {
    int fd = open(type, AF_INET6);
    set_timeout(fd, SO_SNDTIMEO, 5000);
    set_timeout(fd, SO_RCVTIMEO, 5000);
    return fd;
  }

  int set_v6_only(int fd, int value) {
    return api().setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &value, sizeof value);
  }

  int bind_to(int fd, const std::string& ip, std::uint16_t port) {
    auto addr = SockAddr::make(ip, port);
    return api().bind(fd, addr.get(), addr.len);
  }

  // One datagram to `to` and its echo back, which must come from `to`.
  void udp_round_trip(int fd, const SockAddr& to, std::uint32_t seed) {
    const Bytes data = pattern(1200, seed);
    ASSERT_EQ(api().sendto(fd, data.data(), data.size(), 0, to.get(), to.len),
              static_cast<ssize_t>(data.size()))
        << err();
    Bytes got(2000);
    SockAddr from;
    const ssize_t n = api().recvfrom(fd, got.data(), got.size(), 0, from.get(), &from.len);
    ASSERT_EQ(n, static_cast<ssize_t>(data.size())) << err();
    got.resize(data.size());
    EXPECT_TRUE(got == data);
    EXPECT_EQ(from.len, sizeof(sockaddr_in6));
    EXPECT_EQ(from, to);
  }

  // Has the peer connect to our `ip` at `port` and send 1,000 bytes; accepts
  // it on `listener` and checks both addresses as this socket sees them.
  void accept_from_peer(int listener, const std::string& ip, std::uint16_t port,
                        const std::string& expect_peer_ip, const std::string& expect_local_ip) {
    const std::string line =
        peer().command("connect " + ip + " " + std::to_string(port) + " 1000 3");
    ASSERT_EQ(line.rfind("connected ", 0), 0U) << line;
    SockAddr from;
    const int c = api().accept(listener, from.get(), &from.len);
    ASSERT_GE(c, 0) << err();
    EXPECT_EQ(from.len, sizeof(sockaddr_in6));
    EXPECT_EQ(from.ip(), expect_peer_ip);
    EXPECT_EQ(peer_of(c), from);
    EXPECT_EQ(name_of(c).ip(), expect_local_ip);
    EXPECT_EQ(name_of(c).port(), port);
    EXPECT_TRUE(recv_exact(c, 1000) == pattern(1000, 3));
    close_fd(c);
    EXPECT_EQ(peer().read_line().rfind("done 0 ", 0), 0U);
  }
};

TEST_P(DualStack, V6OnlyIsOffByDefaultAndSetOnlyBeforeBind) {
  for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
    const int fd = open6(type);
    EXPECT_EQ(int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    ASSERT_EQ(set_v6_only(fd, 1), 0) << err();
    EXPECT_EQ(int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
    ASSERT_EQ(bind_to(fd, api().local(AF_INET6), 0), 0) << err();
    EXPECT_FAILS_WITH(set_v6_only(fd, 0), EINVAL);
    EXPECT_EQ(int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
  }
  // D10 (docs/conformance.md): an option of another level on an IPv4 socket is
  // ENOPROTOOPT on Linux, EOPNOTSUPP on Weft.
  const int v4 = open(SOCK_STREAM, AF_INET);
  EXPECT_FAILS_WITH(set_v6_only(v4, 1), per_backend(ENOPROTOOPT, EOPNOTSUPP));
}

TEST_P(DualStack, TcpConnectsToAnIpv4PeerThroughAMappedAddress) {
  const int fd = open6(SOCK_STREAM);
  auto to = SockAddr::make(mapped(api().peer(AF_INET)), peer().port("echo", AF_INET));
  ASSERT_EQ(api().connect(fd, to.get(), to.len), 0) << err();
  EXPECT_EQ(peer_of(fd), to);
  EXPECT_EQ(name_of(fd).ip(), mapped(api().local(AF_INET)));
  const Bytes data = pattern(20'000, 11);
  ASSERT_TRUE(send_all(fd, data));
  EXPECT_TRUE(recv_exact(fd, data.size()) == data);
}

TEST_P(DualStack, WildcardListenerAcceptsBothFamilies) {
  const int l = open6(SOCK_STREAM);
  ASSERT_EQ(bind_to(l, "::", 0), 0) << err();
  ASSERT_EQ(api().listen(l, 8), 0) << err();
  const SockAddr name = name_of(l);
  EXPECT_EQ(name.ip(), "::");
  set_timeout(l, SO_RCVTIMEO, 10'000);
  accept_from_peer(l, api().local(AF_INET), name.port(), mapped(api().peer(AF_INET)),
                   mapped(api().local(AF_INET)));
  accept_from_peer(l, api().local(AF_INET6), name.port(), api().peer(AF_INET6),
                   api().local(AF_INET6));
}

TEST_P(DualStack, ListenerBoundToAMappedAddressIsIpv4) {
  const int l = open6(SOCK_STREAM);
  ASSERT_EQ(bind_to(l, mapped(api().local(AF_INET)), 0), 0) << err();
  ASSERT_EQ(api().listen(l, 8), 0) << err();
  const SockAddr name = name_of(l);
  EXPECT_EQ(name.ip(), mapped(api().local(AF_INET)));
  set_timeout(l, SO_RCVTIMEO, 10'000);
  accept_from_peer(l, api().local(AF_INET), name.port(), mapped(api().peer(AF_INET)),
                   mapped(api().local(AF_INET)));
}

TEST_P(DualStack, V6OnlySocketRefusesIpv4) {
  const int fd = open6(SOCK_STREAM);
  ASSERT_EQ(set_v6_only(fd, 1), 0) << err();
  auto to = SockAddr::make(mapped(api().peer(AF_INET)), peer().port("echo", AF_INET));
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), ENETUNREACH);
  EXPECT_FAILS_WITH(bind_to(fd, mapped(api().local(AF_INET)), 0), EINVAL);

  const int u = open6(SOCK_DGRAM);
  ASSERT_EQ(set_v6_only(u, 1), 0) << err();
  auto udp = SockAddr::make(mapped(api().peer(AF_INET)), peer().port("udp", AF_INET));
  const std::byte b{1};
  EXPECT_FAILS_WITH(api().sendto(u, &b, 1, 0, udp.get(), udp.len), ENETUNREACH);

  // A v6-only wildcard listener: the peer's IPv4 connect to that port is refused.
  const int l = open6(SOCK_STREAM);
  ASSERT_EQ(set_v6_only(l, 1), 0) << err();
  ASSERT_EQ(bind_to(l, "::", 0), 0) << err();
  ASSERT_EQ(api().listen(l, 8), 0) << err();
  const std::string line = peer().command("connect " + std::string(api().local(AF_INET)) + " " +
                                          std::to_string(name_of(l).port()) + " 1 1");
  EXPECT_EQ(line, "error " + std::to_string(ECONNREFUSED));
}

TEST_P(DualStack, SocketBoundToAnIpv6AddressIsIpv6Only) {
  const int fd = open6(SOCK_STREAM);
  ASSERT_EQ(bind_to(fd, api().local(AF_INET6), 0), 0) << err();
  auto to = SockAddr::make(mapped(api().peer(AF_INET)), peer().port("echo", AF_INET));
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), ENETUNREACH);
}

TEST_P(DualStack, WildcardListenerHoldsItsPortInBothFamilies) {
  const int v4 = open(SOCK_STREAM, AF_INET);
  ASSERT_EQ(bind_to(v4, "0.0.0.0", 0), 0) << err();
  ASSERT_EQ(api().listen(v4, 4), 0) << err();
  const std::uint16_t port = name_of(v4).port();
  const int dual = open6(SOCK_STREAM);
  EXPECT_FAILS_WITH(bind_to(dual, "::", port), EADDRINUSE);
  const int v6_only = open6(SOCK_STREAM);
  ASSERT_EQ(set_v6_only(v6_only, 1), 0) << err();
  EXPECT_EQ(bind_to(v6_only, "::", port), 0) << err();

  // And the other way round: a dual-stack listener holds the IPv4 port.
  const int l = open6(SOCK_STREAM);
  ASSERT_EQ(bind_to(l, "::", 0), 0) << err();
  ASSERT_EQ(api().listen(l, 4), 0) << err();
  const int other = open(SOCK_STREAM, AF_INET);
  EXPECT_FAILS_WITH(bind_to(other, "0.0.0.0", name_of(l).port()), EADDRINUSE);
}

TEST_P(DualStack, UdpWildcardSocketTalksToBothFamilies) {
  const int fd = open6(SOCK_DGRAM);
  ASSERT_EQ(bind_to(fd, "::", 0), 0) << err();
  udp_round_trip(fd, SockAddr::make(mapped(api().peer(AF_INET)), peer().port("udp", AF_INET)), 1);
  udp_round_trip(fd, SockAddr::make(api().peer(AF_INET6), peer().port("udp", AF_INET6)), 2);
  EXPECT_EQ(name_of(fd).ip(), "::");
}

TEST_P(DualStack, UnboundUdpSocketSendsToAMappedAddressThenIpv6) {
  const int fd = open6(SOCK_DGRAM);
  udp_round_trip(fd, SockAddr::make(mapped(api().peer(AF_INET)), peer().port("udp", AF_INET)), 3);
  // The send bound it to both families, as a bind to [::]:0 does.
  EXPECT_EQ(name_of(fd).ip(), "::");
  EXPECT_NE(name_of(fd).port(), 0);
  udp_round_trip(fd, SockAddr::make(api().peer(AF_INET6), peer().port("udp", AF_INET6)), 4);
}

TEST_P(DualStack, UdpConnectedToAMappedAddress) {
  const int fd = open6(SOCK_DGRAM);
  auto to = SockAddr::make(mapped(api().peer(AF_INET)), peer().port("udp", AF_INET));
  ASSERT_EQ(api().connect(fd, to.get(), to.len), 0) << err();
  EXPECT_EQ(peer_of(fd), to);
  const Bytes data = pattern(500, 5);
  ASSERT_EQ(api().send(fd, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()))
      << err();
  Bytes got(1000);
  const ssize_t n = api().recv(fd, got.data(), got.size(), 0);
  ASSERT_EQ(n, static_cast<ssize_t>(data.size())) << err();
  got.resize(data.size());
  EXPECT_TRUE(got == data);
}

}  // namespace

CONFORMANCE_INSTANTIATE_V4(DualStack);

}  // namespace weft::conformance
