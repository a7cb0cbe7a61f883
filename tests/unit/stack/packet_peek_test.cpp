#include "stack/lwip/packet_peek.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/hex.hpp"

namespace weft::stack::lwip {
namespace {

// Test vectors built by an independent script (Python's struct and ipaddress):
// the checksums are not computed by the code under test.

// ICMP port unreachable 10.77.0.2 -> 10.77.0.1 quoting the first 28 bytes of
// UDP 10.77.0.1:40000 -> 10.77.0.2:5353 (1 byte of data: the quoted header
// declares 29).
constexpr const char* kIcmp4 =
    "4500003812340000400153f50a4d00020a4d000103034bca000000004500001d12340000401154000a4d0001"
    "0a4d00029c4014e900090000";
// ICMPv6 port unreachable fd77::2 -> fd77::1 quoting all of UDP
// [fd77::1]:40000 -> [fd77::2]:5353.
constexpr const char* kIcmp6 =
    "6000000000393a40fd770000000000000000000000000002fd7700000000000000000000000000010104e526"
    "000000006000000000091140fd770000000000000000000000000001fd77000000000000000000000000000"
    "29c4014e90009000001";
// SYN 10.77.0.2:40001 -> 10.77.0.1:80, and the same over IPv6.
constexpr const char* kSyn4 =
    "4500002812340000400654000a4d00020a4d00019c410050000003e8000000005002ffff00000000";
constexpr const char* kSyn6 =
    "6000000000140640fd770000000000000000000000000002fd7700000000000000000000000000019c4100"
    "50000003e8000000005002ffff00000000";

Bytes hex(const char* text) { return from_hex(text).value(); }

Endpoint ep(Family f, std::uint8_t last, std::uint16_t port) {
  IpAddress a{f, {}};
  if (f == Family::v4) {
    a.bytes[0] = std::byte{10};
    a.bytes[1] = std::byte{77};
    a.bytes[3] = std::byte{last};
  } else {
    a.bytes[0] = std::byte{0xfd};
    a.bytes[1] = std::byte{0x77};
    a.bytes[15] = std::byte{last};
  }
  return {a, port};
}

TEST(PortUnreachable, Ipv4QuotesTheDatagramsEndpoints) {
  auto e = parse_port_unreachable(hex(kIcmp4));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->source, ep(Family::v4, 1, 40000));
  EXPECT_EQ(e->destination, ep(Family::v4, 2, 5353));
}

TEST(PortUnreachable, Ipv6QuotesTheDatagramsEndpoints) {
  auto e = parse_port_unreachable(hex(kIcmp6));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->source, ep(Family::v6, 1, 40000));
  EXPECT_EQ(e->destination, ep(Family::v6, 2, 5353));
}

TEST(PortUnreachable, ABadChecksumIsIgnored) {
  for (const char* text : {kIcmp4, kIcmp6}) {
    Bytes p = hex(text);
    p.back() ^= std::byte{0x40};  // quoted data: covered by the ICMP checksum only
    EXPECT_FALSE(parse_port_unreachable(p).has_value()) << text;
  }
}

TEST(PortUnreachable, OtherCodesAndTypesAreIgnored) {
  Bytes host = hex(kIcmp4);
  host[21] = std::byte{1};  // host unreachable
  EXPECT_FALSE(parse_port_unreachable(host).has_value());
  Bytes v6 = hex(kIcmp6);
  v6[41] = std::byte{0};  // no route
  EXPECT_FALSE(parse_port_unreachable(v6).has_value());
  EXPECT_FALSE(parse_port_unreachable(hex(kSyn4)).has_value());
  EXPECT_FALSE(parse_port_unreachable(hex(kSyn6)).has_value());
}

TEST(PortUnreachable, EveryTruncationIsIgnored) {
  for (const char* text : {kIcmp4, kIcmp6}) {
    Bytes p = hex(text);
    for (std::size_t n = 0; n < p.size(); ++n)
      EXPECT_FALSE(parse_port_unreachable(ByteSpan(p).first(n)).has_value()) << text << " at " << n;
  }
}

TEST(TcpSyn, ReportsBothEndpoints) {
  auto s4 = parse_tcp_syn(hex(kSyn4));
  ASSERT_TRUE(s4.has_value());
  EXPECT_EQ(s4->source, ep(Family::v4, 2, 40001));
  EXPECT_EQ(s4->destination, ep(Family::v4, 1, 80));
  auto s6 = parse_tcp_syn(hex(kSyn6));
  ASSERT_TRUE(s6.has_value());
  EXPECT_EQ(s6->source, ep(Family::v6, 2, 40001));
  EXPECT_EQ(s6->destination, ep(Family::v6, 1, 80));
}

TEST(TcpHeader, AnySegmentGivesItsConnectionAndFlags) {
  Bytes p = hex(kSyn4);
  p[20 + 13] = std::byte{0x10};  // a bare ACK
  auto h = parse_tcp_header(p);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->source, ep(Family::v4, 2, 40001));
  EXPECT_EQ(h->destination, ep(Family::v4, 1, 80));
  EXPECT_EQ(h->flags, 0x10);
  auto h6 = parse_tcp_header(hex(kSyn6));
  ASSERT_TRUE(h6.has_value());
  EXPECT_EQ(h6->flags, 0x02);
  for (std::size_t n = 0; n < p.size(); ++n)
    EXPECT_FALSE(parse_tcp_header(ByteSpan(p).first(n)).has_value()) << "at " << n;
}

TEST(TcpSyn, OnlyAConnectionRequestCounts) {
  const std::size_t flags4 = 20 + 13;
  for (int f : {0x12, 0x06, 0x10, 0x01, 0x00}) {  // SYN+ACK, SYN+RST, ACK, FIN, none
    Bytes p = hex(kSyn4);
    p[flags4] = static_cast<std::byte>(f);
    EXPECT_FALSE(parse_tcp_syn(p).has_value()) << f;
  }
  Bytes ece = hex(kSyn4);
  ece[flags4] = std::byte{0xC2};  // SYN with ECE and CWR: still a request
  EXPECT_TRUE(parse_tcp_syn(ece).has_value());
}

TEST(TcpSyn, FragmentsAndTruncationsAreIgnored) {
  Bytes more = hex(kSyn4);
  more[6] = std::byte{0x20};  // more fragments
  EXPECT_FALSE(parse_tcp_syn(more).has_value());
  Bytes later = hex(kSyn4);
  later[7] = std::byte{0x01};  // offset 8
  EXPECT_FALSE(parse_tcp_syn(later).has_value());
  for (const char* text : {kSyn4, kSyn6}) {
    Bytes p = hex(text);
    for (std::size_t n = 0; n < p.size(); ++n)
      EXPECT_FALSE(parse_tcp_syn(ByteSpan(p).first(n)).has_value()) << text << " at " << n;
  }
}

}  // namespace
}  // namespace weft::stack::lwip
