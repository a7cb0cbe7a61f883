#include "wire/ethernet.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/hex.hpp"

namespace weft::wire {
namespace {

// Literal bytes, with spaces and '|' between fields for reading.
Bytes hex(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (c != ' ' && c != '|') digits.push_back(c);
  }
  return from_hex(digits).value();
}

TEST(Ethernet, ParsesAnUntaggedFrame) {
  const Bytes f = hex("ffffffffffff | 020000000001 | 0806 | 0001 0800 0604");
  auto v = EthernetView::parse(f);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->destination(), Mac::broadcast());
  EXPECT_EQ(v->source(), *Mac::parse("02:00:00:00:00:01"));
  EXPECT_EQ(v->ethertype(), 0x0806);
  EXPECT_FALSE(v->vlan().has_value());
  EXPECT_EQ(v->header_len(), 14U);
  EXPECT_EQ(Bytes(v->payload().begin(), v->payload().end()), hex("0001 0800 0604"));
}

TEST(Ethernet, ParsesAn8021QTaggedFrame) {
  // TCI a07b: PCP 5, DEI 0, VID 0x07b; then ethertype 86dd.
  const Bytes f = hex("333300000001 | 0abcdef01234 | 8100 | a07b | 86dd | 6000");
  auto v = EthernetView::parse(f);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->destination(), *Mac::parse("33:33:00:00:00:01"));
  EXPECT_EQ(v->source(), *Mac::parse("0a:bc:de:f0:12:34"));
  ASSERT_TRUE(v->vlan().has_value());
  EXPECT_EQ(*v->vlan(), (VlanTag{5, false, 0x07b}));
  EXPECT_EQ(v->ethertype(), 0x86dd);
  EXPECT_EQ(v->header_len(), 18U);
  EXPECT_EQ(Bytes(v->payload().begin(), v->payload().end()), hex("6000"));
  // DEI set, maximum VID and priority.
  const Bytes dei_bytes = hex("000000000000 000000000000 8100 ffff 0800");
  auto dei = EthernetView::parse(dei_bytes);
  ASSERT_TRUE(dei.ok());
  EXPECT_EQ(*dei->vlan(), (VlanTag{7, true, 0xfff}));
  EXPECT_TRUE(dei->payload().empty());
}

TEST(Ethernet, ReportsTruncationAtEveryShortLength) {
  const Bytes untagged = hex("ffffffffffff 020000000001 0800");
  for (std::size_t n = 0; n < untagged.size(); ++n) {
    EXPECT_EQ(EthernetView::parse(ByteSpan(untagged).first(n)).error(), Error::truncated) << n;
  }
  EXPECT_TRUE(EthernetView::parse(untagged).ok());
  const Bytes tagged = hex("ffffffffffff 020000000001 8100 0001 0800");
  for (std::size_t n = 14; n < tagged.size(); ++n) {
    EXPECT_EQ(EthernetView::parse(ByteSpan(tagged).first(n)).error(), Error::truncated) << n;
  }
  EXPECT_TRUE(EthernetView::parse(tagged).ok());
}

TEST(Ethernet, ReportsLengthFieldsAndOuterTagsAsFound) {
  const Bytes llc_bytes = hex("0180c2000000 020000000001 0026 4242 03");
  auto llc = EthernetView::parse(llc_bytes);
  ASSERT_TRUE(llc.ok());
  EXPECT_EQ(llc->ethertype(), 0x0026);
  const Bytes qinq_bytes = hex("ffffffffffff 020000000001 88a8 0064 8100 0001 0800");
  auto qinq = EthernetView::parse(qinq_bytes);
  ASSERT_TRUE(qinq.ok());
  EXPECT_EQ(qinq->ethertype(), 0x88a8);
  EXPECT_FALSE(qinq->vlan().has_value());
}

TEST(Ethernet, EmitsExactBytesAndRoundTrips) {
  const EthernetRepr plain{*Mac::parse("02:00:00:00:00:02"), *Mac::parse("02:00:00:00:00:01"),
                           std::nullopt, 0x0800};
  Bytes out(plain.buffer_len());
  plain.emit(out);
  EXPECT_EQ(out, hex("020000000002 | 020000000001 | 0800"));
  EXPECT_EQ(EthernetRepr::parse(out).value(), plain);

  const EthernetRepr tagged{Mac::broadcast(), *Mac::parse("02:00:00:00:00:01"),
                            VlanTag{3, true, 100}, 0x0806};
  Bytes t(tagged.buffer_len());
  tagged.emit(t);
  EXPECT_EQ(t, hex("ffffffffffff | 020000000001 | 8100 | 7064 | 0806"));
  EXPECT_EQ(EthernetRepr::parse(t).value(), tagged);

  // Out-of-range PCP/VID are masked, never spill into the neighbouring bits.
  const EthernetRepr wide{Mac{}, Mac{}, VlanTag{0xff, false, 0xffff}, 0x0800};
  Bytes w(wide.buffer_len());
  wide.emit(w);
  EXPECT_EQ(w, hex("000000000000 000000000000 8100 efff 0800"));
}

}  // namespace
}  // namespace weft::wire
