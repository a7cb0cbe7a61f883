// Data and relay messages against literal bytes (docs/protocol.md §5, §7).
#include <gtest/gtest.h>

#include "unit/wire/wire_hex.hpp"
#include "wire/data.hpp"
#include "wire/relay.hpp"

namespace weft::wire {
namespace {

using testing::emit_bytes;
using testing::hex;

TEST(Data, LiteralRoundTrip) {
  // A 3-byte plaintext: 3 bytes of ciphertext and a 16-byte tag.
  const Bytes bytes =
      hex("01 04 0000 | 0000002a | 0102030405060708 |"
          "c1c2c3 | f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  auto v = DataView::parse(bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->receiver_index(), 42U);
  EXPECT_EQ(v->counter(), 0x0102030405060708ULL);
  EXPECT_EQ(v->plaintext_len(), 3U);
  EXPECT_TRUE(equal_bytes(v->header(), ByteSpan(bytes).first(16)));
  EXPECT_TRUE(equal_bytes(v->ciphertext(), ByteSpan(bytes).subspan(16)));

  const DataHeader h{42, 0x0102030405060708ULL};
  EXPECT_EQ(*DataHeader::parse(bytes), h);
  EXPECT_EQ(emit_bytes(h), hex("01 04 0000 | 0000002a | 0102030405060708"));
  EXPECT_EQ(DataHeader::message_len(3), bytes.size());
}

TEST(Data, KeepaliveIsTheShortestAndShorterIsTruncated) {
  const Bytes keepalive =
      hex("01 04 0000 | 00000001 | 0000000000000000 | 00000000000000000000000000000000");
  ASSERT_TRUE(DataView::parse(keepalive));
  EXPECT_EQ(DataView::parse(keepalive)->plaintext_len(), 0U);
  EXPECT_EQ(DataView::parse(ByteSpan(keepalive).first(31)).error(), Error::truncated);
}

TEST(Relay, LiteralRoundTrip) {
  const Bytes bytes =
      hex("01 05 0000 | 0a0b0c0d0e | 0102030405 | 0000 |"
          "01 04 0000 | 00000001 | 0000000000000000 | 00000000000000000000000000000000");
  auto v = RelayView::parse(bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->destination().value(), 0x0a0b0c0d0eULL);
  EXPECT_EQ(v->source().value(), 0x0102030405ULL);
  EXPECT_EQ(v->payload_type(), MessageType::data);
  EXPECT_EQ(v->payload().size(), 32U);

  const RelayHeader h{*NodeId::from_u64(0x0a0b0c0d0e), *NodeId::from_u64(0x0102030405)};
  EXPECT_EQ(*RelayHeader::parse(bytes), h);
  EXPECT_EQ(emit_bytes(h), Bytes(bytes.begin(), bytes.begin() + 16));
}

TEST(Relay, Rejects) {
  // Reserved destination address (0), nested relay, bad inner version, reserved bits.
  EXPECT_EQ(
      RelayView::parse(hex("01 05 0000 | 0000000000 | 0102030405 | 0000 | 01 04 0000")).error(),
      Error::malformed);
  EXPECT_EQ(
      RelayView::parse(hex("01 05 0000 | 0a0b0c0d0e | 0102030405 | 0000 | 01 05 0000")).error(),
      Error::malformed);
  EXPECT_EQ(
      RelayView::parse(hex("01 05 0000 | 0a0b0c0d0e | 0102030405 | 0000 | 09 04 0000")).error(),
      Error::malformed);
  EXPECT_EQ(
      RelayView::parse(hex("01 05 0000 | 0a0b0c0d0e | 0102030405 | 0100 | 01 04 0000")).error(),
      Error::malformed);
  EXPECT_EQ(RelayView::parse(hex("01 05 0000 | 0a0b0c0d0e | 0102030405 | 0000 | 01 04 00")).error(),
            Error::truncated);
}

}  // namespace
}  // namespace weft::wire
