#include "base/hex.hpp"

#include <gtest/gtest.h>

namespace weft {
namespace {

TEST(Hex, EncodesLowerCase) {
  const ByteArray<3> b{std::byte{0x00}, std::byte{0xAB}, std::byte{0x7f}};
  EXPECT_EQ(to_hex(b), "00ab7f");
  EXPECT_EQ(to_hex({}), "");
}

TEST(Hex, DecodesEitherCase) {
  auto r = from_hex("00aB7F");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 3U);
  EXPECT_EQ((*r)[1], std::byte{0xab});
  EXPECT_EQ((*r)[2], std::byte{0x7f});
}

TEST(Hex, RejectsOddLengthAndNonDigits) {
  EXPECT_EQ(from_hex("abc").error(), Error::malformed);
  EXPECT_EQ(from_hex("zz").error(), Error::malformed);
  EXPECT_EQ(from_hex("0g").error(), Error::malformed);
  ByteArray<2> out{};
  EXPECT_EQ(from_hex("0102ff", out).error(), Error::malformed);  // too long for out
  EXPECT_EQ(from_hex("01", out).error(), Error::malformed);      // too short
  EXPECT_TRUE(from_hex("01ff", out));
  EXPECT_EQ(out[1], std::byte{0xff});
}

}  // namespace
}  // namespace weft
