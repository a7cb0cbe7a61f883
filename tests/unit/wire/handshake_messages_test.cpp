// Header, initiation, response and cookie reply against bytes written out by
// hand from docs/protocol.md §2 and §4.
#include <gtest/gtest.h>

#include "unit/wire/wire_hex.hpp"
#include "wire/cookie_reply.hpp"
#include "wire/header.hpp"
#include "wire/initiation.hpp"
#include "wire/response.hpp"

namespace weft::wire {
namespace {

using testing::emit_bytes;
using testing::hex;

template <std::size_t N>
ByteArray<N> filled(unsigned v) {
  ByteArray<N> a{};
  a.fill(static_cast<std::byte>(v));
  return a;
}

TEST(Header, ParsesAndRejects) {
  auto h = Header::parse(hex("01 04 0000"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, MessageType::data);
  EXPECT_EQ(emit_bytes(*h), hex("01 04 0000"));
  EXPECT_EQ(Header::parse(hex("01 04 00")).error(), Error::truncated);
  EXPECT_EQ(Header::parse(hex("02 04 0000")).error(), Error::unsupported_version);
  EXPECT_EQ(Header::parse(hex("00 04 0000")).error(), Error::unsupported_version);
  EXPECT_EQ(Header::parse(hex("01 00 0000")).error(), Error::malformed);
  EXPECT_EQ(Header::parse(hex("01 06 0000")).error(), Error::malformed);
  EXPECT_EQ(Header::parse(hex("01 04 0001")).error(), Error::malformed);
  EXPECT_EQ(Header::parse(hex("01 04 8000")).error(), Error::malformed);
}

const char* const kInitiation =
    "01 01 0000 | 01020304 |"
    "1111111111111111111111111111111111111111111111111111111111111111 |"
    "2222222222222222222222222222222222222222222222222222222222222222"
    "2222222222222222222222222222222222222222222222222222222222222222"
    "22222222222222222222222222222222 |"
    "333333333333333333333333333333333333333333333333 |"
    "44444444444444444444444444444444 |"
    "55555555555555555555555555555555";

TEST(Initiation, LiteralRoundTrip) {
  const Bytes bytes = hex(kInitiation);
  ASSERT_EQ(bytes.size(), 176U);
  auto v = InitiationView::parse(bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->sender_index(), 0x01020304U);
  EXPECT_EQ(v->ephemeral()[0], std::byte{0x11});
  EXPECT_EQ(v->mac1_input().size(), 144U);
  EXPECT_EQ(v->mac2_input().size(), 160U);

  const Initiation expected{0x01020304,       filled<32>(0x11), filled<80>(0x22),
                            filled<24>(0x33), filled<16>(0x44), filled<16>(0x55)};
  auto r = Initiation::parse(bytes);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, expected);
  EXPECT_EQ(emit_bytes(expected), bytes);
}

TEST(Initiation, RejectsEveryWrongLength) {
  Bytes bytes = hex(kInitiation);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = InitiationView::parse(ByteSpan(bytes).first(n));
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error(), Error::truncated) << n;
  }
  bytes.push_back(std::byte{0});
  EXPECT_EQ(InitiationView::parse(bytes).error(), Error::too_large);
  bytes.pop_back();
  bytes[1] = std::byte{2};  // a response's type on an initiation's bytes
  EXPECT_EQ(InitiationView::parse(bytes).error(), Error::malformed);
}

const char* const kResponse =
    "01 02 0000 | a0b0c0d0 | 01020304 |"
    "6666666666666666666666666666666666666666666666666666666666666666 |"
    "77777777777777777777777777777777 |"
    "88888888888888888888888888888888 |"
    "99999999999999999999999999999999";

TEST(Response, LiteralRoundTrip) {
  const Bytes bytes = hex(kResponse);
  ASSERT_EQ(bytes.size(), 92U);
  auto v = ResponseView::parse(bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->sender_index(), 0xa0b0c0d0U);
  EXPECT_EQ(v->receiver_index(), 0x01020304U);
  EXPECT_EQ(v->mac1_input().size(), 60U);
  EXPECT_EQ(v->mac2_input().size(), 76U);
  const Response expected{0xa0b0c0d0,       0x01020304,       filled<32>(0x66),
                          filled<16>(0x77), filled<16>(0x88), filled<16>(0x99)};
  EXPECT_EQ(*Response::parse(bytes), expected);
  EXPECT_EQ(emit_bytes(expected), bytes);
  EXPECT_EQ(ResponseView::parse(ByteSpan(bytes).first(91)).error(), Error::truncated);
}

const char* const kCookieReply =
    "01 03 0000 | deadbeef |"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa |"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

TEST(CookieReply, LiteralRoundTrip) {
  const Bytes bytes = hex(kCookieReply);
  ASSERT_EQ(bytes.size(), 64U);
  auto v = CookieReplyView::parse(bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->receiver_index(), 0xdeadbeefU);
  const CookieReply expected{0xdeadbeef, filled<24>(0xaa), filled<32>(0xbb)};
  EXPECT_EQ(*CookieReply::parse(bytes), expected);
  EXPECT_EQ(emit_bytes(expected), bytes);
  Bytes longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_EQ(CookieReplyView::parse(longer).error(), Error::too_large);
}

}  // namespace
}  // namespace weft::wire
