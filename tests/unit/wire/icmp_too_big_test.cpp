#include "wire/icmp_too_big.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace weft::wire {
namespace {

using Frame = std::vector<std::uint8_t>;

const std::uint8_t kKernelMac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
const std::uint8_t kPeerMac[6] = {0x02, 0x66, 0x77, 0x88, 0x99, 0xaa};

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

std::uint32_t sum(const std::uint8_t* p, std::size_t n, std::uint32_t s = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) s += be16(p + i);
  if (n % 2) s += static_cast<std::uint32_t>(p[n - 1]) << 8;
  return s;
}
std::uint16_t folded(std::uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}

// An Ethernet frame from the kernel's MAC to the peer's holding an IPv4
// packet of `total` bytes (10.9.0.1 -> 10.9.0.2), protocol `proto`.
Frame ipv4(std::size_t total, bool df, std::uint8_t proto = 17, std::uint8_t first = 0) {
  Frame f(14 + total, 0xab);
  std::copy(kPeerMac, kPeerMac + 6, f.begin());
  std::copy(kKernelMac, kKernelMac + 6, f.begin() + 6);
  f[12] = 0x08;
  f[13] = 0x00;
  std::uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  ip[1] = 0;
  ip[2] = static_cast<std::uint8_t>(total >> 8);
  ip[3] = static_cast<std::uint8_t>(total);
  ip[6] = df ? 0x40 : 0;
  ip[7] = 0;
  ip[8] = 64;
  ip[9] = proto;
  const std::uint8_t src[4] = {10, 9, 0, 1};
  const std::uint8_t dst[4] = {10, 9, 0, 2};
  std::copy(src, src + 4, ip + 12);
  std::copy(dst, dst + 4, ip + 16);
  ip[20] = first;
  return f;
}

Frame ipv6(std::size_t total, std::uint8_t next = 17, std::uint8_t first = 0) {
  Frame f(14 + total, 0xcd);
  std::copy(kPeerMac, kPeerMac + 6, f.begin());
  std::copy(kKernelMac, kKernelMac + 6, f.begin() + 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  std::uint8_t* ip = f.data() + 14;
  ip[0] = 0x60;
  ip[1] = ip[2] = ip[3] = 0;
  ip[4] = static_cast<std::uint8_t>((total - 40) >> 8);
  ip[5] = static_cast<std::uint8_t>(total - 40);
  ip[6] = next;
  ip[7] = 64;
  for (int i = 0; i < 16; ++i) ip[8 + i] = ip[24 + i] = 0;
  ip[8] = 0xfd;
  ip[23] = 1;
  ip[24] = 0xfd;
  ip[39] = 2;
  ip[40] = first;
  return f;
}

std::size_t reply(const Frame& f, std::size_t mtu, Frame& out, std::size_t head = 0) {
  out.assign(kTooBigReplyMax, 0);
  const std::size_t n = head == 0 ? f.size() : head;
  return too_big_reply(as_bytes(f.data(), n), mtu, as_writable_bytes(out.data(), out.size()));
}

TEST(IcmpTooBig, Ipv4WithDfGetsFragmentationNeededWithTheMtu) {
  const Frame f = ipv4(4000, true);
  Frame out;
  const std::size_t n = reply(f, 1400, out);
  ASSERT_EQ(n, 14U + 576U);  // quotes as much as fits in 576 bytes
  EXPECT_TRUE(std::equal(kKernelMac, kKernelMac + 6, out.begin()));
  EXPECT_TRUE(std::equal(kPeerMac, kPeerMac + 6, out.begin() + 6));
  EXPECT_EQ(be16(&out[12]), 0x0800);
  const std::uint8_t* ip = out.data() + 14;
  EXPECT_EQ(ip[0], 0x45);
  EXPECT_EQ(be16(ip + 2), 576);
  EXPECT_EQ(ip[9], 1);
  EXPECT_EQ(folded(sum(ip, 20)), 0xffff) << "IPv4 header checksum";
  const std::uint8_t from[4] = {10, 9, 0, 2};
  const std::uint8_t to[4] = {10, 9, 0, 1};
  EXPECT_TRUE(std::equal(from, from + 4, ip + 12));
  EXPECT_TRUE(std::equal(to, to + 4, ip + 16));
  const std::uint8_t* icmp = ip + 20;
  EXPECT_EQ(icmp[0], 3);
  EXPECT_EQ(icmp[1], 4);
  EXPECT_EQ(be16(icmp + 6), 1400);
  EXPECT_EQ(folded(sum(icmp, 576 - 20)), 0xffff) << "ICMP checksum";
  EXPECT_TRUE(std::equal(icmp + 8, icmp + 8 + 548, f.begin() + 14)) << "the quote";
}

TEST(IcmpTooBig, OnlyTheHeadOfTheFrameIsNeeded) {
  const Frame f = ipv4(9000, true);
  Frame out;
  EXPECT_EQ(reply(f, 1400, out, 14 + 1419), 14U + 576U);
  EXPECT_EQ(reply(f, 1400, out, 14 + 30), 14U + 20U + 8U + 30U);  // quotes what it has
  EXPECT_EQ(reply(f, 1400, out, 14 + 19), 0U);                    // not even a header
  EXPECT_EQ(reply(f, 1400, out, 13), 0U);
}

TEST(IcmpTooBig, Ipv4WithoutAnswer) {
  Frame out;
  EXPECT_EQ(reply(ipv4(1400, true), 1400, out), 0U) << "fits";
  EXPECT_EQ(reply(ipv4(4000, false), 1400, out), 0U) << "no DF: a router fragments";
  EXPECT_EQ(reply(ipv4(4000, true, 1, 3), 1400, out), 0U) << "an ICMP error";
  EXPECT_NE(reply(ipv4(4000, true, 1, 8), 1400, out), 0U) << "an echo request is answered";
  Frame frag = ipv4(4000, true);
  frag[14 + 7] = 1;  // offset 8: not the first fragment
  EXPECT_EQ(reply(frag, 1400, out), 0U);
  Frame mcast = ipv4(4000, true);
  mcast[14 + 16] = 224;
  EXPECT_EQ(reply(mcast, 1400, out), 0U) << "multicast destination";
  Frame group = ipv4(4000, true);
  group[0] = 0x01;
  EXPECT_EQ(reply(group, 1400, out), 0U) << "to a group MAC";
  Frame bad_ihl = ipv4(4000, true);
  bad_ihl[14] = 0x44;
  EXPECT_EQ(reply(bad_ihl, 1400, out), 0U);
  Frame short_total = ipv4(4000, true);
  short_total[14 + 2] = 0;
  short_total[14 + 3] = 10;  // total length below the header
  EXPECT_EQ(reply(short_total, 1400, out), 0U);
  EXPECT_EQ(reply(ipv4(4000, true), 60, out), 0U) << "an MTU below IPv4's minimum";
  Frame small_out(100);
  const Frame f = ipv4(4000, true);
  EXPECT_EQ(too_big_reply(as_bytes(f.data(), f.size()), 1400,
                          as_writable_bytes(small_out.data(), small_out.size())),
            0U);
}

TEST(IcmpTooBig, Ipv6GetsPacketTooBigWithTheMtu) {
  const Frame f = ipv6(4000);
  Frame out;
  const std::size_t n = reply(f, 1400, out);
  ASSERT_EQ(n, 14U + 1280U);  // quotes as much as fits in 1280 bytes
  EXPECT_EQ(be16(&out[12]), 0x86dd);
  const std::uint8_t* ip = out.data() + 14;
  EXPECT_EQ(ip[0] >> 4, 6);
  EXPECT_EQ(be16(ip + 4), 1240);
  EXPECT_EQ(ip[6], 58);
  EXPECT_TRUE(std::equal(ip + 8, ip + 24, f.begin() + 14 + 24)) << "from the destination";
  EXPECT_TRUE(std::equal(ip + 24, ip + 40, f.begin() + 14 + 8)) << "to the source";
  const std::uint8_t* icmp = ip + 40;
  EXPECT_EQ(icmp[0], 2);
  EXPECT_EQ(icmp[1], 0);
  EXPECT_EQ(be16(icmp + 4), 0);
  EXPECT_EQ(be16(icmp + 6), 1400);
  std::uint32_t s = sum(ip + 8, 32) + 1240 + 58;
  EXPECT_EQ(folded(sum(icmp, 1240, s)), 0xffff) << "ICMPv6 checksum";
  EXPECT_TRUE(std::equal(icmp + 8, icmp + 1240, f.begin() + 14));
}

TEST(IcmpTooBig, Ipv6WithoutAnswer) {
  Frame out;
  EXPECT_EQ(reply(ipv6(1400), 1400, out), 0U) << "fits";
  EXPECT_EQ(reply(ipv6(4000, 58, 1), 1400, out), 0U) << "an ICMPv6 error";
  EXPECT_NE(reply(ipv6(4000, 58, 128), 1400, out), 0U) << "an echo request is answered";
  Frame mcast = ipv6(4000);
  mcast[14 + 24] = 0xff;
  EXPECT_EQ(reply(mcast, 1400, out), 0U);
  Frame unspecified = ipv6(4000);
  unspecified[14 + 8] = 0;
  unspecified[14 + 23] = 0;
  EXPECT_EQ(reply(unspecified, 1400, out), 0U);
  EXPECT_EQ(reply(ipv6(4000), 1200, out), 0U) << "an MTU below IPv6's minimum";
  EXPECT_EQ(reply(ipv6(4000), 1400, out, 14 + 39), 0U) << "a cut header";
}

TEST(IcmpTooBig, OtherFramesGetNoAnswer) {
  Frame arp = ipv4(4000, true);
  arp[12] = 0x08;
  arp[13] = 0x06;
  Frame out;
  EXPECT_EQ(reply(arp, 1400, out), 0U);
  Frame wrong_version = ipv4(4000, true);
  wrong_version[14] = 0x65;
  EXPECT_EQ(reply(wrong_version, 1400, out), 0U);
}

}  // namespace
}  // namespace weft::wire
