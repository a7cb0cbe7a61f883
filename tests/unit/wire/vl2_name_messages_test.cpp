// The name query and answer (docs/vnet.md §3.9), against literal bytes.
#include <gtest/gtest.h>

#include "wire/vl2_messages.hpp"
#include "wire_hex.hpp"

namespace weft::wire {
namespace {

using testing::emit_bytes;
using testing::hex;

const NetworkId kNetwork = *NetworkId::parse("89e92ceee500abcd");

TEST(Vl2NameMessages, QueryLiteral) {
  const Bytes bytes = hex("28 | 89e92ceee500abcd | 0000002a | 05 | 626f622d31");  // "bob-1"
  const NameQuery repr{kNetwork, 42, "bob-1"};
  EXPECT_EQ(*NameQuery::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);
  EXPECT_EQ(*vl2_inner_type(bytes), Vl2InnerType::name_query);
}

TEST(Vl2NameMessages, QueryRefusesWhatIsNotOneLabel) {
  EXPECT_EQ(NameQuery::parse(hex("28 89e92ceee500abcd 0000002a 05 626f62")).error(),
            Error::truncated);
  EXPECT_EQ(NameQuery::parse(hex("28 89e92ceee500abcd 0000002a 02 626f62")).error(),
            Error::too_large);
  EXPECT_EQ(NameQuery::parse(hex("28 89e92ceee500abcd 0000002a")).error(), Error::truncated);
  for (std::string_view bad : {
           "28 89e92ceee500abcd 0000002a 00",             // empty
           "28 89e92ceee500abcd 0000002a 03 424f42",      // upper case
           "28 89e92ceee500abcd 0000002a 03 612e62",      // "a.b": two labels
           "28 89e92ceee500abcd 0000002a 02 2d61",        // leading '-'
           "28 89e92ceee500abcd 0000002a 02 6100",        // NUL
           "29 89e92ceee500abcd 0000002a 03 626f62",      // wrong type
       }) {
    EXPECT_EQ(NameQuery::parse(hex(bad)).error(), Error::malformed) << bad;
  }
  Bytes long_name = hex("28 89e92ceee500abcd 0000002a 40");
  long_name.resize(long_name.size() + 64, std::byte{'a'});
  EXPECT_EQ(NameQuery::parse(long_name).error(), Error::malformed);  // 64 > one label
}

TEST(Vl2NameMessages, AnswerLiteral) {
  const Bytes bytes =
      hex("29 | 89e92ceee500abcd | 0000002a | 01 | fafebe00c8 |"
          " 02 | 0a010007 | 0a020007 |"
          " 01 | fd89e92ceee500abcd99930000000000");
  NameAnswer repr{kNetwork, 42, *NodeId::parse("fafebe00c8"), {}, {}};
  repr.ipv4 = {ByteArray<4>{std::byte{10}, std::byte{1}, std::byte{0}, std::byte{7}},
               ByteArray<4>{std::byte{10}, std::byte{2}, std::byte{0}, std::byte{7}}};
  ByteArray<16> v6{};
  const Bytes v6_bytes = hex("fd89e92ceee500abcd99930000000000");
  std::copy(v6_bytes.begin(), v6_bytes.end(), v6.begin());
  repr.ipv6 = {v6};
  EXPECT_EQ(*NameAnswer::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);
  EXPECT_EQ(*vl2_inner_type(bytes), Vl2InnerType::name_answer);
}

TEST(Vl2NameMessages, NotFoundCarriesNothing) {
  const Bytes bytes = hex("29 89e92ceee500abcd 00000007 00 0000000000 00 00");
  const NameAnswer repr{kNetwork, 7, std::nullopt, {}, {}};
  EXPECT_EQ(*NameAnswer::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);
  // "Not found" with a member or an address is not an answer.
  EXPECT_EQ(NameAnswer::parse(hex("29 89e92ceee500abcd 00000007 00 fafebe00c8 00 00")).error(),
            Error::malformed);
  EXPECT_EQ(NameAnswer::parse(hex("29 89e92ceee500abcd 00000007 00 0000000000 01 0a010007 00"))
                .error(),
            Error::malformed);
}

TEST(Vl2NameMessages, AnswerBounds) {
  const std::string head = "29 89e92ceee500abcd 00000007 01 fafebe00c8 ";
  EXPECT_EQ(NameAnswer::parse(hex(head + "01 0a01 00")).error(), Error::truncated);
  EXPECT_EQ(NameAnswer::parse(hex(head + "01 0a010007")).error(), Error::truncated);
  EXPECT_EQ(NameAnswer::parse(hex(head + "00 01 0a010007")).error(), Error::truncated);
  EXPECT_EQ(NameAnswer::parse(hex(head + "00 00 00")).error(), Error::too_large);
  EXPECT_EQ(NameAnswer::parse(hex(head + "11 00")).error(), Error::malformed);  // 17 > 16
  EXPECT_EQ(NameAnswer::parse(hex(head + "00 11")).error(), Error::malformed);
  EXPECT_EQ(NameAnswer::parse(hex("29 89e92ceee500abcd 00000007 02 fafebe00c8 00 00")).error(),
            Error::malformed);  // found is 0 or 1
  EXPECT_EQ(NameAnswer::parse(hex("29 89e92ceee500abcd 00000007 01 0000000000 00 00")).error(),
            Error::malformed);  // a reserved member address
  for (std::size_t n = 0; n < NameAnswer::kMinSize; ++n)
    EXPECT_EQ(NameAnswer::parse(ByteSpan(hex(head + "00 00")).first(n)).error(), Error::truncated)
        << n;
}

}  // namespace
}  // namespace weft::wire
