#include "base/bytes.hpp"

#include <gtest/gtest.h>

namespace weft {
namespace {

TEST(Bytes, BigEndianLoadsMatchLiteralBytes) {
  const ByteArray<8> b{std::byte{0x01}, std::byte{0x23}, std::byte{0x45}, std::byte{0x67},
                       std::byte{0x89}, std::byte{0xab}, std::byte{0xcd}, std::byte{0xef}};
  const ByteSpan s(b);
  EXPECT_EQ(load_be16(s.first<2>()), 0x0123);
  EXPECT_EQ(load_be32(s.first<4>()), 0x01234567U);
  EXPECT_EQ(load_be40(s.first<5>()), 0x0123456789ULL);
  EXPECT_EQ(load_be64(b), 0x0123456789abcdefULL);
  EXPECT_EQ(load_le16(s.first<2>()), 0x2301);
  EXPECT_EQ(load_le32(s.first<4>()), 0x67452301U);
  EXPECT_EQ(load_le64(b), 0xefcdab8967452301ULL);
}

TEST(Bytes, StoresRoundTripThroughLoads) {
  ByteArray<8> b{};
  store_be64(b, 0xfedcba9876543210ULL);
  EXPECT_EQ(b[0], std::byte{0xfe});
  EXPECT_EQ(b[7], std::byte{0x10});
  EXPECT_EQ(load_be64(b), 0xfedcba9876543210ULL);
  store_le64(b, 0xfedcba9876543210ULL);
  EXPECT_EQ(b[0], std::byte{0x10});
  EXPECT_EQ(load_le64(b), 0xfedcba9876543210ULL);
  store_be16(std::span(b).first<2>(), 0xbeef);
  EXPECT_EQ(load_be16(std::span<const std::byte>(b).first<2>()), 0xbeef);
  store_le32(std::span(b).first<4>(), 0xdeadbeef);
  EXPECT_EQ(load_le32(std::span<const std::byte>(b).first<4>()), 0xdeadbeefU);
  store_be40(std::span(b).first<5>(), 0xaabbccddeeULL);
  EXPECT_EQ(load_be40(std::span<const std::byte>(b).first<5>()), 0xaabbccddeeULL);
  store_be32(std::span(b).first<4>(), 0x01020304);
  EXPECT_EQ(b[3], std::byte{0x04});
  store_le16(std::span(b).first<2>(), 0x0102);
  EXPECT_EQ(b[0], std::byte{0x02});
}

TEST(Bytes, ConversionsKeepAddressAndSize) {
  std::string_view text = "abc";
  const ByteSpan s = as_bytes(text);
  ASSERT_EQ(s.size(), 3U);
  EXPECT_EQ(s[1], std::byte{'b'});
  EXPECT_EQ(as_chars(s), "abc");
  EXPECT_TRUE(equal_bytes(s, as_bytes(std::string_view("abc"))));
  EXPECT_FALSE(equal_bytes(s, as_bytes(std::string_view("abd"))));
  EXPECT_FALSE(equal_bytes(s, as_bytes(std::string_view("ab"))));
}

}  // namespace
}  // namespace weft
