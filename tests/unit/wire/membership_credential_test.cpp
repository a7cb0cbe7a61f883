#include "wire/membership_credential.hpp"

#include <gtest/gtest.h>

#include "wire_hex.hpp"

namespace weft::wire {
namespace {

using testing::emit_bytes;
using testing::hex;

const Bytes kLiteral = hex(
    "01 | 89e92ceee500abcd | fafebe00c8 |"
    " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f |"
    " 0000019a8b7c6d5e | 000000000000ea60 | 0000000000000007 |"
    " a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "   c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf");

MembershipCredential literal_repr() {
  MembershipCredential c{*NetworkId::parse("89e92ceee500abcd"), *NodeId::parse("fafebe00c8")};
  for (std::size_t i = 0; i < 32; ++i) c.member_key[i] = static_cast<std::byte>(i);
  c.issued_ms = 0x0000019a8b7c6d5eULL;
  c.max_delta_ms = 60'000;
  c.revision = 7;
  for (std::size_t i = 0; i < 64; ++i) c.signature[i] = static_cast<std::byte>(0xa0 + i);
  return c;
}

TEST(MembershipCredential, ParsesAndEmitsLiteralBytes) {
  ASSERT_EQ(kLiteral.size(), MembershipCredential::buffer_len());
  auto parsed = MembershipCredential::parse(kLiteral);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, literal_repr());
  EXPECT_EQ(emit_bytes(literal_repr()), kLiteral);
  auto view = MembershipCredentialView::parse(kLiteral);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->revision(), 7U);
  EXPECT_EQ(view->signed_part().size(), 70U);
}

TEST(MembershipCredential, SigningInputIsContextAndFieldsWithoutSignature) {
  const Bytes input = literal_repr().signing_input();
  const auto context = as_bytes(kCredentialContext);
  ASSERT_EQ(input.size(), context.size() + 70);
  EXPECT_TRUE(std::equal(context.begin(), context.end(), input.begin()));
  EXPECT_TRUE(std::equal(input.begin() + static_cast<std::ptrdiff_t>(context.size()), input.end(),
                         kLiteral.begin()));
}

TEST(MembershipCredential, RejectsBadInput) {
  EXPECT_EQ(MembershipCredential::parse(ByteSpan(kLiteral).first(133)).error(), Error::truncated);
  EXPECT_EQ(MembershipCredential::parse({}).error(), Error::truncated);
  Bytes longer = kLiteral;
  longer.push_back(std::byte{0});
  EXPECT_EQ(MembershipCredential::parse(longer).error(), Error::too_large);
  Bytes v2 = kLiteral;
  v2[0] = std::byte{2};
  EXPECT_EQ(MembershipCredential::parse(v2).error(), Error::unsupported_version);
  Bytes zero_member = kLiteral;
  for (std::size_t i = 9; i < 14; ++i) zero_member[i] = std::byte{0};
  EXPECT_EQ(MembershipCredential::parse(zero_member).error(), Error::malformed);
  Bytes bad_network = kLiteral;
  bad_network[1] = std::byte{0xff};
  EXPECT_EQ(MembershipCredential::parse(bad_network).error(), Error::malformed);
}

}  // namespace
}  // namespace weft::wire
