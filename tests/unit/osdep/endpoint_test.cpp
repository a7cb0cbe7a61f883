#include "osdep/endpoint.hpp"

#include <gtest/gtest.h>

#include <unordered_set>

namespace weft::osdep {
namespace {

TEST(Endpoint, ParsesAndFormatsIpv4) {
  auto e = Endpoint::parse("127.0.0.1:9000");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->is_v4());
  EXPECT_EQ(e->port(), 9000);
  EXPECT_EQ(e->address()[0], 127);
  EXPECT_EQ(e->address()[3], 1);
  EXPECT_EQ(*e, Endpoint::loopback_v4(9000));
  EXPECT_EQ(e->to_string(), "127.0.0.1:9000");
  EXPECT_EQ(Endpoint::parse("0.0.0.0:0")->to_string(), "0.0.0.0:0");
  EXPECT_EQ(Endpoint::parse("255.255.255.255:65535")->to_string(), "255.255.255.255:65535");
}

TEST(Endpoint, ParsesAndFormatsIpv6) {
  auto e = Endpoint::parse("[::1]:9000");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->is_v4());
  EXPECT_EQ(*e, Endpoint::loopback_v6(9000));
  EXPECT_EQ(e->to_string(), "[::1]:9000");
  auto s = Endpoint::parse("[fe80::1%3]:53");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->scope_id(), 3U);
  EXPECT_EQ(s->to_string(), "[fe80::1%3]:53");
  EXPECT_EQ(Endpoint::parse("[2001:DB8::0:1]:1")->to_string(), "[2001:db8::1]:1");
}

TEST(Endpoint, RejectsMalformedText) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:9x", "127.0.0.1: 9", "256.0.0.1:1", "::1:9000", "[::1]",
                          "[::1]9000", "[::1:9000", "[127.0.0.1]:1", "[fe80::1%]:1",
                          "[fe80::1%x]:1", "host:80", ":80", "[::1]:99999999999999999999"}) {
    EXPECT_EQ(Endpoint::parse(bad).ok(), false) << bad;
  }
}

TEST(Endpoint, RoundTripsThroughSockaddr) {
  for (const char* text : {"10.1.2.3:4567", "[2001:db8::42]:80", "[fe80::1%7]:9"}) {
    const Endpoint e = *Endpoint::parse(text);
    sockaddr_storage sa{};
    const socklen_t len = e.to_sockaddr(sa);
    auto back = Endpoint::from_sockaddr(sa, len);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, e) << text;
  }
  sockaddr_storage unix_sa{};
  unix_sa.ss_family = AF_UNIX;
  EXPECT_EQ(Endpoint::from_sockaddr(unix_sa, sizeof unix_sa).error(), Error::invalid_argument);
  sockaddr_storage short_sa{};
  short_sa.ss_family = AF_INET6;
  EXPECT_FALSE(Endpoint::from_sockaddr(short_sa, 8).ok());
}

TEST(Endpoint, ComparesAndHashesByEveryField) {
  const Endpoint a = Endpoint::loopback_v4(1);
  EXPECT_NE(a, a.with_port(2));
  EXPECT_LT(a, a.with_port(2));
  EXPECT_NE(Endpoint::loopback_v6(1), Endpoint::parse("[::1%1]:1").value());
  EXPECT_NE(Endpoint::parse("0.0.0.0:0").value(), Endpoint::parse("[::]:0").value());
  std::unordered_set<Endpoint> set{a, a.with_port(2), Endpoint::loopback_v6(1), a};
  EXPECT_EQ(set.size(), 3U);
  EXPECT_TRUE(set.contains(Endpoint::parse("127.0.0.1:2").value()));
  EXPECT_FALSE(set.contains(Endpoint::parse("127.0.0.2:2").value()));
}

}  // namespace
}  // namespace weft::osdep
