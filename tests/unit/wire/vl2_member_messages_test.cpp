// The member-to-member VL2 messages and the member gather (docs/vnet.md §3.5-3.8),
// against literal bytes.
#include <gtest/gtest.h>

#include "wire/vl2_messages.hpp"
#include "wire_hex.hpp"

namespace weft::wire {
namespace {

using testing::emit_bytes;
using testing::hex;

constexpr std::string_view kCredentialHex =
    "01 | 89e92ceee500abcd | fafebe00c8 |"
    " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f |"
    " 0000019a8b7c6d5e | 000000000000ea60 | 0000000000000007 |"
    " a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "   c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";

MembershipCredential credential() {
  MembershipCredential c{*NetworkId::parse("89e92ceee500abcd"), *NodeId::parse("fafebe00c8")};
  for (std::size_t i = 0; i < 32; ++i) c.member_key[i] = static_cast<std::byte>(i);
  c.issued_ms = 0x0000019a8b7c6d5eULL;
  c.max_delta_ms = 60'000;
  c.revision = 7;
  for (std::size_t i = 0; i < 64; ++i) c.signature[i] = static_cast<std::byte>(0xa0 + i);
  return c;
}

TEST(Vl2MemberMessages, NetworkFrameLiteral) {
  const Bytes bytes =
      hex("24 | 89e92ceee500abcd |"
          " ffffffffffff | 02aabbccddee | 0806 | 0001");
  const NetworkFrame repr{*NetworkId::parse("89e92ceee500abcd"),
                          hex("ffffffffffff 02aabbccddee 0806 0001")};
  EXPECT_EQ(*NetworkFrame::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);
  auto view = NetworkFrameView::parse(bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->network(), repr.network);
  EXPECT_TRUE(equal_bytes(view->frame(), repr.frame));
  EXPECT_EQ(*vl2_inner_type(bytes), Vl2InnerType::network_frame);

  Bytes header(NetworkFrameHeader::buffer_len());
  NetworkFrameHeader{repr.network}.emit(header);
  EXPECT_TRUE(equal_bytes(header, ByteSpan(bytes).first(9)));
}

TEST(Vl2MemberMessages, NetworkFrameBounds) {
  // 13 bytes of Ethernet: not a frame.
  EXPECT_EQ(NetworkFrame::parse(hex("24 89e92ceee500abcd ffffffffffff 02aabbccddee 08")).error(),
            Error::truncated);
  Bytes big(9 + NetworkFrameView::kMaxFrame + 1);
  big[0] = std::byte{0x24};
  EXPECT_EQ(NetworkFrame::parse(big).error(), Error::too_large);
  big.pop_back();
  std::copy_n(hex("89e92ceee500abcd").begin(), 8, big.begin() + 1);
  EXPECT_TRUE(NetworkFrame::parse(big));
  // A reserved controller address in the network id.
  EXPECT_EQ(NetworkFrame::parse(hex("24 0000000000000001 ffffffffffff 02aabbccddee 0806")).error(),
            Error::malformed);
  EXPECT_EQ(NetworkFrame::parse(hex("25 89e92ceee500abcd ffffffffffff 02aabbccddee 0806")).error(),
            Error::malformed);
}

TEST(Vl2MemberMessages, CredentialPresentationLiteral) {
  const Bytes bytes = hex(std::string("25 | 01 |") + std::string(kCredentialHex));
  ASSERT_EQ(bytes.size(), CredentialPresentation::kSize);
  const CredentialPresentation repr{true, credential()};
  EXPECT_EQ(*CredentialPresentation::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);

  Bytes no_reply = bytes;
  no_reply[1] = std::byte{0};
  EXPECT_FALSE(CredentialPresentation::parse(no_reply)->want_reply);
  Bytes bad_flag = bytes;
  bad_flag[1] = std::byte{0x02};
  EXPECT_EQ(CredentialPresentation::parse(bad_flag).error(), Error::malformed);
  Bytes bad_version = bytes;
  bad_version[2] = std::byte{0x02};
  EXPECT_EQ(CredentialPresentation::parse(bad_version).error(), Error::unsupported_version);
  EXPECT_EQ(CredentialPresentation::parse(ByteSpan(bytes).first(135)).error(), Error::truncated);
  Bytes longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_EQ(CredentialPresentation::parse(longer).error(), Error::too_large);
}

TEST(Vl2MemberMessages, MemberGatherLiteral) {
  const Bytes bytes = hex("26 | 89e92ceee500abcd | 0100");
  const MemberGather repr{*NetworkId::parse("89e92ceee500abcd"), 256};
  EXPECT_EQ(*MemberGather::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);
  EXPECT_EQ(MemberGather::parse(ByteSpan(bytes).first(10)).error(), Error::truncated);
}

TEST(Vl2MemberMessages, MemberListLiteral) {
  const Bytes bytes = hex("27 | 89e92ceee500abcd | 0002 | fafebe00c8 | 0102030405");
  const MemberList repr{*NetworkId::parse("89e92ceee500abcd"),
                        {*NodeId::parse("fafebe00c8"), *NodeId::parse("0102030405")}};
  EXPECT_EQ(*MemberList::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);
  EXPECT_EQ(*MemberList::parse(hex("27 89e92ceee500abcd 0000")), (MemberList{repr.network, {}}));
  EXPECT_EQ(MemberList::parse(ByteSpan(bytes).first(20)).error(), Error::truncated);
  Bytes longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_EQ(MemberList::parse(longer).error(), Error::too_large);
  // A reserved address (0xff...) in the list; a count over the bound.
  EXPECT_EQ(MemberList::parse(hex("27 89e92ceee500abcd 0001 ff00000001")).error(),
            Error::malformed);
  EXPECT_EQ(MemberList::parse(hex("27 89e92ceee500abcd 0401")).error(), Error::malformed);
}

}  // namespace
}  // namespace weft::wire
