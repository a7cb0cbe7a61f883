#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "vnet/member_mac.hpp"
#include "vnet/ula.hpp"

namespace weft::vnet {
namespace {

NetworkId net(const char* hex) { return *NetworkId::parse(hex); }
NodeId node(const char* hex) { return *NodeId::parse(hex); }

std::string format(const Ipv6Bytes& a) {
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
}

TEST(MemberMac, FixedVector) {
  // Pinned so the derivation never changes silently (members would lose each other).
  const auto mac = MemberMac::derive(net("89e92ceee500abcd"), node("fafebe00c8"));
  // Computed independently: 0xce = (0xcd & 0xfe) | 0x02, then
  // fafebe00c8 ^ (((v >> 8) ^ (v << 16) ^ (v >> 40)) & 0xffffffffff) for v = the network id.
  EXPECT_EQ(mac.to_string(), "ce:d6:bb:1f:e9:4f");
  EXPECT_TRUE(mac.is_locally_administered());
  EXPECT_FALSE(mac.is_multicast());
}

TEST(MemberMac, RoundTripsAndIsUnicastLocallyAdministered) {
  const NetworkId n = net("89e92ceee500abcd");
  std::set<Mac> seen;
  for (std::uint64_t v = 1; v < 5000; v += 7) {
    const NodeId id = *NodeId::from_u64(v * 0x10001ULL);
    const Mac mac = MemberMac::derive(n, id);
    EXPECT_FALSE(mac.is_multicast());
    EXPECT_TRUE(mac.is_locally_administered());
    EXPECT_EQ(MemberMac::member_of(n, mac), id);
    EXPECT_TRUE(seen.insert(mac).second);
  }
}

TEST(MemberMac, DiffersPerNetworkAndRejectsForeignMacs) {
  const NodeId id = node("fafebe00c8");
  const NetworkId a = net("89e92ceee500abcd");
  const NetworkId b = net("89e92ceee500abce");
  EXPECT_NE(MemberMac::derive(a, id), MemberMac::derive(b, id));
  EXPECT_FALSE(MemberMac::member_of(a, Mac::broadcast()));
  EXPECT_FALSE(MemberMac::member_of(a, *Mac::parse("33:33:00:00:00:01")));
  // Same first octet but the bits of a reserved NodeId (zero).
  const Mac m = MemberMac::derive(a, id);
  const auto first = m.value() & 0xff00'0000'0000ULL;
  const auto zero_node = MemberMac::derive(a, id).value() ^ id.value();
  EXPECT_EQ(zero_node & 0xff00'0000'0000ULL, first);
  EXPECT_FALSE(MemberMac::member_of(a, *Mac::from_u64(zero_node)));
}

TEST(MemberMac, NeverUsesTheQemuPrefix) {
  for (std::uint64_t low = 0; low < 256; ++low) {
    const NetworkId n = NetworkId::make(node("fafebe00c8"), static_cast<std::uint32_t>(low));
    EXPECT_NE(MemberMac::derive(n, node("0102030405")).value() >> 40U, 0x52U) << low;
  }
}

TEST(Ula, PrefixIsRfc4193AndMemberAddressEmbedsNode) {
  const NetworkId n = net("89e92ceee500abcd");
  const auto prefix = Ula::prefix(n);
  EXPECT_EQ(prefix[0], 0xfd);
  for (int i = 6; i < 16; ++i) EXPECT_EQ(prefix[i], 0) << i;
  const auto addr = Ula::member_address(n, node("fafebe00c8"));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(addr[i], prefix[i]) << i;
  const std::string text = format(addr);
  EXPECT_NE(text.find(":9993:cdfa:febe:c8"), std::string::npos) << text;
  EXPECT_NE(Ula::prefix(net("89e92ceee500abce")), prefix);
  EXPECT_NE(Ula::member_address(n, node("fafebe00c9")), addr);
}

}  // namespace
}  // namespace weft::vnet
