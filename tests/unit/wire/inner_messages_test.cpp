// Inner messages (the plaintext of data messages) against literal bytes
// (docs/protocol.md §5.2, §5.3).
#include <gtest/gtest.h>

#include "unit/wire/wire_hex.hpp"
#include "wire/fragment.hpp"
#include "wire/frame.hpp"
#include "wire/inner.hpp"
#include "wire/probe.hpp"

namespace weft::wire {
namespace {

using testing::emit_bytes;
using testing::hex;

TEST(Inner, Types) {
  EXPECT_EQ(*inner_type({}), InnerType::keepalive);
  EXPECT_EQ(*inner_type(hex("01 ff")), InnerType::frame);
  EXPECT_EQ(*inner_type(hex("14")), InnerType::rendezvous);
  EXPECT_EQ(inner_type(hex("00")).error(), Error::malformed);
  EXPECT_EQ(inner_type(hex("05")).error(), Error::malformed);
  EXPECT_EQ(inner_type(hex("15")).error(), Error::malformed);
}

TEST(Frame, LiteralRoundTrip) {
  const Bytes bytes = hex("01 | 0a0b0c");
  auto v = FrameView::parse(bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->payload().size(), 3U);
  EXPECT_EQ(v->payload()[0], std::byte{0x0a});
  Bytes out(1);
  FrameHeader::emit(out);
  EXPECT_EQ(out, hex("01"));
  EXPECT_EQ(FrameView::parse(hex("01")).error(), Error::truncated);
  EXPECT_EQ(FrameView::parse(hex("02 00")).error(), Error::malformed);
}

TEST(Fragment, LiteralRoundTrip) {
  const Bytes bytes = hex("02 000000 | 00000007 | 00000bb8 | 00000578 | aabbcc");
  auto v = FragmentView::parse(bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->message_id(), 7U);
  EXPECT_EQ(v->total_length(), 3000U);
  EXPECT_EQ(v->offset(), 1400U);
  EXPECT_EQ(v->data().size(), 3U);
  const FragmentHeader h{7, 3000, 1400};
  EXPECT_EQ(*FragmentHeader::parse(bytes), h);
  EXPECT_EQ(emit_bytes(h), hex("02 000000 | 00000007 | 00000bb8 | 00000578"));
}

TEST(Fragment, RejectsBadRanges) {
  // Data past total_length; total_length 0; over the 64 KiB + 512 cap; empty data;
  // an offset that overflows 32 bits when the length is added; reserved bits.
  EXPECT_EQ(FragmentView::parse(hex("02 000000 | 00000007 | 00000004 | 00000002 | aabbcc")).error(),
            Error::malformed);
  EXPECT_EQ(FragmentView::parse(hex("02 000000 | 00000007 | 00000000 | 00000000 | aa")).error(),
            Error::malformed);
  EXPECT_EQ(FragmentView::parse(hex("02 000000 | 00000007 | 00010201 | 00000000 | aa")).error(),
            Error::too_large);
  EXPECT_EQ(FragmentView::parse(hex("02 000000 | 00000007 | 00010200 | 000101ff | aabb")).error(),
            Error::malformed);
  EXPECT_EQ(FragmentView::parse(hex("02 000000 | 00000007 | 00000004 | ffffffff | aa")).error(),
            Error::malformed);
  EXPECT_EQ(FragmentView::parse(hex("02 000000 | 00000007 | 00000004 | 00000000")).error(),
            Error::truncated);
  EXPECT_EQ(FragmentView::parse(hex("02 000100 | 00000007 | 00000004 | 00000000 | aa")).error(),
            Error::malformed);
  // The largest message and its last byte are accepted.
  EXPECT_TRUE(FragmentView::parse(hex("02 000000 | 00000007 | 00010200 | 000101ff | aa")));
}

TEST(Probe, LiteralRoundTrip) {
  const Bytes probe = hex("03 000000 | 0102030405060708");
  const Bytes reply = hex("04 000000 | 0102030405060708");
  EXPECT_EQ(*Probe::parse(probe), (Probe{false, 0x0102030405060708ULL}));
  EXPECT_EQ(*Probe::parse(reply), (Probe{true, 0x0102030405060708ULL}));
  EXPECT_EQ(emit_bytes(Probe{false, 0x0102030405060708ULL}), probe);
  EXPECT_EQ(emit_bytes(Probe{true, 0x0102030405060708ULL}), reply);
  EXPECT_EQ(Probe::parse(hex("03 000000 | 01020304050607")).error(), Error::truncated);
  EXPECT_EQ(Probe::parse(hex("03 000000 | 010203040506070809")).error(), Error::too_large);
  EXPECT_EQ(Probe::parse(hex("01 000000 | 0102030405060708")).error(), Error::malformed);
}

}  // namespace
}  // namespace weft::wire
