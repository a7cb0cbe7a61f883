#include "osdep/rtnetlink.hpp"

#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace weft::osdep {
namespace {

InterfaceAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, int prefix) {
  InterfaceAddress x;
  x.bytes[0] = std::byte{a};
  x.bytes[1] = std::byte{b};
  x.bytes[2] = std::byte{c};
  x.bytes[3] = std::byte{d};
  x.prefix = static_cast<std::uint8_t>(prefix);
  return x;
}

template <typename T>
T at(const std::vector<std::byte>& bytes, std::size_t offset) {
  T v{};
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

std::vector<std::byte> ack(std::uint32_t seq, std::int32_t error, std::uint32_t len = 36) {
  std::vector<std::byte> out(std::max<std::size_t>(len, 20));
  nlmsghdr h{};
  h.nlmsg_len = len;
  h.nlmsg_type = NLMSG_ERROR;
  h.nlmsg_seq = seq;
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + sizeof h, &error, sizeof error);
  return out;
}

TEST(RtNetlink, AddRequestHoldsTheAddressPrefixIndexAndFlags) {
  const auto m = RtNetlink::address_request(true, 7, v4(10, 1, 2, 3, 24), 42);
  ASSERT_EQ(m.size() % 4, 0U);
  const auto h = at<nlmsghdr>(m, 0);
  EXPECT_EQ(h.nlmsg_len, m.size());
  EXPECT_EQ(h.nlmsg_type, RTM_NEWADDR);
  EXPECT_EQ(h.nlmsg_seq, 42U);
  EXPECT_TRUE(h.nlmsg_flags & NLM_F_ACK);
  EXPECT_TRUE(h.nlmsg_flags & NLM_F_REPLACE);
  const auto ifa = at<ifaddrmsg>(m, sizeof h);
  EXPECT_EQ(ifa.ifa_family, AF_INET);
  EXPECT_EQ(ifa.ifa_prefixlen, 24);
  EXPECT_EQ(ifa.ifa_index, 7U);
  // IFA_LOCAL then IFA_ADDRESS, each the 4 address bytes.
  std::size_t off = sizeof h + sizeof ifa;
  for (const int type : {IFA_LOCAL, IFA_ADDRESS}) {
    const auto a = at<rtattr>(m, off);
    EXPECT_EQ(a.rta_type, type);
    EXPECT_EQ(a.rta_len, sizeof a + 4);
    EXPECT_EQ(std::memcmp(m.data() + off + sizeof a, "\x0a\x01\x02\x03", 4), 0);
    off += 8;
  }
  EXPECT_EQ(at<rtattr>(m, off).rta_type, IFA_FLAGS);
}

TEST(RtNetlink, Ipv6AddressesSkipDuplicateAddressDetection) {
  InterfaceAddress a;
  a.ipv6 = true;
  a.bytes[0] = std::byte{0xfd};
  a.prefix = 88;
  const auto m = RtNetlink::address_request(true, 3, a, 1);
  const auto ifa = at<ifaddrmsg>(m, sizeof(nlmsghdr));
  EXPECT_EQ(ifa.ifa_family, AF_INET6);
  EXPECT_EQ(ifa.ifa_prefixlen, 88);
  EXPECT_TRUE(ifa.ifa_flags & IFA_F_NODAD);
  const auto del = RtNetlink::address_request(false, 3, a, 2);
  EXPECT_EQ(at<nlmsghdr>(del, 0).nlmsg_type, RTM_DELADDR);
}

TEST(RtNetlink, AckOfTheSequenceIsSuccessOrTheKernelsErrno) {
  auto ok = RtNetlink::read_ack(ack(5, 0), 5);
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->ok());
  auto refused = RtNetlink::read_ack(ack(5, -EPERM), 5);
  ASSERT_TRUE(refused.has_value());
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ(refused->error(), Error::permission_denied);
}

TEST(RtNetlink, OtherSequencesAreSkipped) {
  auto two = ack(4, -EPERM);
  const auto mine = ack(5, 0);
  two.insert(two.end(), mine.begin(), mine.end());
  auto r = RtNetlink::read_ack(two, 5);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->ok());
  EXPECT_FALSE(RtNetlink::read_ack(ack(4, 0), 5).has_value());
  EXPECT_FALSE(RtNetlink::read_ack({}, 5).has_value());
}

TEST(RtNetlink, BadBytesAreErrorsNeverReadsPastTheEnd) {
  const auto good = ack(5, 0);
  for (std::size_t n = 1; n < good.size(); ++n) {
    auto r = RtNetlink::read_ack(ByteSpan(good.data(), n), 5);
    ASSERT_TRUE(r.has_value()) << n;
    EXPECT_FALSE(r->ok()) << n;
  }
  auto short_len = RtNetlink::read_ack(ack(5, 0, 8), 5);  // nlmsg_len below the header
  ASSERT_TRUE(short_len.has_value());
  EXPECT_EQ(short_len->error(), Error::malformed);
  auto no_error_field = RtNetlink::read_ack(ack(5, 0, 16), 5);
  ASSERT_TRUE(no_error_field.has_value());
  EXPECT_EQ(no_error_field->error(), Error::truncated);
  auto positive = RtNetlink::read_ack(ack(5, 3), 5);
  ASSERT_TRUE(positive.has_value());
  EXPECT_EQ(positive->error(), Error::malformed);
}

}  // namespace
}  // namespace weft::osdep
