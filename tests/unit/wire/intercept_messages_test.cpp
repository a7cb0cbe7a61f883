// The intercept protocol's messages against literal bytes (docs/intercept.md).
#include <gtest/gtest.h>

#include "unit/wire/wire_hex.hpp"
#include "wire/intercept_message.hpp"

namespace weft::wire {
namespace {

using testing::emit_bytes;
using testing::hex;

SocketAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                 std::uint16_t port) {
  SocketAddress s;
  s.bytes[0] = std::byte{a};
  s.bytes[1] = std::byte{b};
  s.bytes[2] = std::byte{c};
  s.bytes[3] = std::byte{d};
  s.port = port;
  return s;
}

TEST(InterceptRequest, ConnectLiteralRoundTrip) {
  const Bytes bytes =
      hex("01 04 01 01 06 000000"
          "| 04 00 1f90 0a930102 000000000000000000000000"
          "| 00000000 | 00000000 | 00000000 | 00000002"
          "| 0000000000000000000000000000000000000000");
  auto q = InterceptRequest::parse(bytes);
  ASSERT_TRUE(q) << name(q.error());
  EXPECT_EQ(q->op, InterceptOp::connect);
  EXPECT_EQ(q->type, SocketType::stream);
  EXPECT_EQ(q->flags, InterceptRequest::kNonBlocking);
  EXPECT_TRUE(q->ipv6);
  ASSERT_TRUE(q->address);
  EXPECT_EQ(*q->address, v4(10, 147, 1, 2, 8080));
  EXPECT_EQ(q->options, kOptNoDelay);
  EXPECT_EQ(emit_bytes(*q), bytes);
}

TEST(InterceptRequest, RejectsWhatDoesNotParse) {
  InterceptRequest q;
  q.op = InterceptOp::listen;
  q.level = 128;
  q.address = v4(10, 147, 1, 2, 80);
  Bytes good = emit_bytes(q);
  ASSERT_TRUE(InterceptRequest::parse(good));
  EXPECT_EQ(InterceptRequest::parse(ByteSpan(good).first(63)).error(), Error::truncated);
  Bytes longer = good;
  longer.push_back(std::byte{0});
  EXPECT_EQ(InterceptRequest::parse(longer).error(), Error::too_large);
  auto with = [&](std::size_t at, std::uint8_t v) {
    Bytes b = good;
    b[at] = std::byte{v};
    return InterceptRequest::parse(b);
  };
  EXPECT_EQ(with(0, 2).error(), Error::unsupported_version);
  EXPECT_EQ(with(1, 0).error(), Error::malformed);   // op 0
  EXPECT_EQ(with(1, 10).error(), Error::malformed);  // op 10
  EXPECT_EQ(with(2, 3).error(), Error::malformed);   // type
  EXPECT_TRUE(with(3, 2));                           // also kernel
  EXPECT_EQ(with(3, 4).error(), Error::malformed);   // unknown flag
  EXPECT_EQ(with(4, 5).error(), Error::malformed);   // family
  EXPECT_EQ(with(6, 1).error(), Error::malformed);   // reserved
  EXPECT_EQ(with(8, 7).error(), Error::malformed);   // address family
  EXPECT_EQ(with(9, 1).error(), Error::malformed);   // address reserved
  EXPECT_EQ(with(8, 0).error(), Error::malformed);   // a "none" address with bytes set
  EXPECT_TRUE(with(43, 8));                          // kOptV6Only
  EXPECT_EQ(with(43, 16).error(), Error::malformed); // unknown option bit
  EXPECT_EQ(with(63, 1).error(), Error::malformed);  // reserved tail
}

TEST(InterceptReply, LiteralRoundTrip) {
  const Bytes bytes =
      hex("01 01 06 00 | 00000073"
          "| 06 00 0050 fd000000000000000000000000000001"
          "| 00 00 0000 00000000000000000000000000000000"
          "| 00000002 | 000000000000000000000000");
  auto r = InterceptReply::parse(bytes);
  ASSERT_TRUE(r) << name(r.error());
  EXPECT_EQ(r->type, SocketType::stream);
  EXPECT_TRUE(r->ipv6);
  EXPECT_EQ(r->error, 115);  // EINPROGRESS
  ASSERT_TRUE(r->local);
  EXPECT_TRUE(r->local->ipv6);
  EXPECT_EQ(r->local->port, 80);
  EXPECT_FALSE(r->peer);
  EXPECT_EQ(r->value, 2);
  EXPECT_EQ(emit_bytes(*r), bytes);
  Bytes negative = bytes;
  negative[4] = std::byte{0x80};
  EXPECT_EQ(InterceptReply::parse(negative).error(), Error::malformed);
}

TEST(VirtualPrefix, ContainsAndRecords) {
  VirtualPrefix p;
  p.network = 0x8056c2e21c000001;
  p.length = 20;
  p.bytes[0] = std::byte{10};
  p.bytes[1] = std::byte{147};
  p.bytes[2] = std::byte{0x10};
  EXPECT_TRUE(p.contains(false, v4(10, 147, 0x1f, 9, 0).bytes));
  EXPECT_FALSE(p.contains(false, v4(10, 147, 0x20, 9, 0).bytes));
  EXPECT_FALSE(p.contains(true, v4(10, 147, 0x1f, 9, 0).bytes));
  Bytes two(2 * VirtualPrefix::kSize);
  p.emit(MutableByteSpan(two).first(VirtualPrefix::kSize));
  p.emit(MutableByteSpan(two).subspan(VirtualPrefix::kSize));
  EXPECT_EQ(Bytes(two.begin(), two.begin() + 12), hex("8056c2e21c000001 04 14 0000"));
  auto back = parse_prefixes(two, 2);
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)[1], p);
  EXPECT_EQ(parse_prefixes(two, 3).error(), Error::truncated);
  EXPECT_EQ(parse_prefixes(two, 1).error(), Error::too_large);
  EXPECT_EQ(parse_prefixes({}, VirtualPrefix::kMaxCount + 1).error(), Error::too_large);
  two[9] = std::byte{33};  // an IPv4 prefix longer than 32
  EXPECT_EQ(parse_prefixes(two, 2).error(), Error::malformed);
}

TEST(AcceptNotice, LiteralRoundTripAndBothAddressesRequired) {
  const Bytes bytes =
      hex("04 00 1f90 0a930102 000000000000000000000000"
          "| 04 00 c350 0a930103 000000000000000000000000");
  auto n = AcceptNotice::parse(bytes);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->local, v4(10, 147, 1, 2, 8080));
  EXPECT_EQ(n->peer, v4(10, 147, 1, 3, 50000));
  EXPECT_EQ(emit_bytes(*n), bytes);
  Bytes no_peer = bytes;
  std::fill(no_peer.begin() + 20, no_peer.end(), std::byte{0});
  EXPECT_EQ(AcceptNotice::parse(no_peer).error(), Error::malformed);
}

TEST(ResolveName, HostNameCharactersOnly) {
  EXPECT_EQ(*ResolveName::parse(as_bytes(std::string_view("Bob.lab_1-x.weft."))),
            "Bob.lab_1-x.weft.");
  EXPECT_EQ(ResolveName::parse({}).error(), Error::truncated);
  EXPECT_EQ(ResolveName::parse(as_bytes(std::string(254, 'a'))).error(), Error::too_large);
  EXPECT_TRUE(ResolveName::parse(as_bytes(std::string(253, 'a'))));
  for (std::string_view bad : {std::string_view("a b", 3), std::string_view("a\0b", 3),
                               std::string_view("a/b"), std::string_view("\xc3\xa9")})
    EXPECT_EQ(ResolveName::parse(as_bytes(bad)).error(), Error::malformed) << bad;
}

TEST(ResolveAnswer, FoundLiteralRoundTrip) {
  const Bytes bytes =
      hex("01 01 02 0c 00000000"
          "| 04 00 0000 0a930103 000000000000000000000000"
          "| 06 00 0000 fd89e92ceee500abcd99930000000001"
          "| 626f622e6c61622e77656674");  // bob.lab.weft
  ResolveAnswer a;
  a.status = ResolveStatus::found;
  a.addresses.push_back(v4(10, 147, 1, 3, 0));
  SocketAddress v6;
  v6.ipv6 = true;
  const Bytes v6_bytes = hex("fd89e92ceee500abcd99930000000001");
  std::copy(v6_bytes.begin(), v6_bytes.end(), v6.bytes.begin());
  a.addresses.push_back(v6);
  a.canonical = "bob.lab.weft";
  EXPECT_EQ(*ResolveAnswer::parse(bytes), a);
  EXPECT_EQ(emit_bytes(a), bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_EQ(ResolveAnswer::parse(ByteSpan(bytes).first(n)).error(), Error::truncated) << n;
  Bytes longer = bytes;
  longer.push_back(std::byte{'x'});
  EXPECT_EQ(ResolveAnswer::parse(longer).error(), Error::too_large);
}

TEST(ResolveAnswer, OtherStatusesCarryNoAddresses) {
  EXPECT_EQ(ResolveAnswer::parse(hex("01 03 00 00 00000000"))->status, ResolveStatus::not_virtual);
  EXPECT_EQ(ResolveAnswer::parse(hex("01 02 00 00 00000000"))->status,
            ResolveStatus::no_such_member);
  auto failed = ResolveAnswer::parse(hex("01 04 00 00 0000006e"));  // ETIMEDOUT
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->error, 110);
  for (std::string_view bad : {
           "02 03 00 00 00000000",  // version
           "01 05 00 00 00000000",  // status
           "01 00 00 00 00000000",  // status
           "01 04 00 00 00000000",  // failed without an error
           "01 03 00 00 0000006e",  // an error on an answer that did not fail
           "01 01 00 00 00000000",  // found without a name
           "01 03 00 01 00000000 61",  // a name on an answer that is not found
           "01 02 01 00 00000000 04 00 0000 0a930103 000000000000000000000000",
           "01 01 01 01 00000000 04 00 0050 0a930103 000000000000000000000000 61",  // a port
           "01 01 01 01 00000000 00 00 0000 00000000 000000000000000000000000 61",  // no family
           "01 01 00 01 00000000 20",  // a space in the name
           "01 01 21 00 00000000",     // 33 addresses
       }) {
    auto r = ResolveAnswer::parse(hex(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_TRUE(r.error() == Error::malformed || r.error() == Error::unsupported_version) << bad;
  }
}

}  // namespace
}  // namespace weft::wire
