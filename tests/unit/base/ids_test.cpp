#include <gtest/gtest.h>

#include <unordered_set>

#include "base/mac.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"

namespace weft {
namespace {

TEST(NodeId, ParsesAndFormatsTenHexDigits) {
  auto id = NodeId::parse("89e92ceee5");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->value(), 0x89e92ceee5ULL);
  EXPECT_EQ(id->to_string(), "89e92ceee5");
  EXPECT_EQ(NodeId::parse("89E92CEEE5")->to_string(), "89e92ceee5");
  const auto bytes = id->to_bytes();
  EXPECT_EQ(bytes[0], std::byte{0x89});
  EXPECT_EQ(bytes[4], std::byte{0xe5});
  EXPECT_EQ(*NodeId::from_bytes(bytes), *id);
}

TEST(NodeId, RejectsReservedAndOutOfRange) {
  EXPECT_EQ(NodeId::from_u64(0).error(), Error::invalid_argument);
  EXPECT_EQ(NodeId::from_u64(0xff00000001ULL).error(), Error::invalid_argument);
  EXPECT_EQ(NodeId::from_u64(0x10000000000ULL).error(), Error::invalid_argument);
  EXPECT_TRUE(NodeId::from_u64(0xfeffffffffULL));
  EXPECT_EQ(NodeId::parse("0000000000").error(), Error::invalid_argument);
  EXPECT_EQ(NodeId::parse("ff12345678").error(), Error::invalid_argument);
  EXPECT_EQ(NodeId::parse("89e92ceee").error(), Error::malformed);
  EXPECT_EQ(NodeId::parse("89e92ceee5a").error(), Error::malformed);
  EXPECT_EQ(NodeId::parse("89e92ceeeg").error(), Error::malformed);
  EXPECT_EQ(NodeId::parse("").error(), Error::malformed);
}

TEST(NetworkId, IsControllerAndNumber) {
  const auto controller = *NodeId::parse("89e92ceee5");
  const auto net = NetworkId::make(controller, 0x00abcd);
  EXPECT_EQ(net.value(), 0x89e92ceee500abcdULL);
  EXPECT_EQ(net.to_string(), "89e92ceee500abcd");
  EXPECT_EQ(net.controller(), controller);
  EXPECT_EQ(net.number(), 0xabcdU);
  EXPECT_EQ(*NetworkId::parse("89e92ceee500abcd"), net);
  EXPECT_EQ(*NetworkId::from_bytes(net.to_bytes()), net);
  EXPECT_EQ(NetworkId::make(controller, 0x1ffffff).number(), 0xffffffU);  // masked to 24 bits
}

TEST(NetworkId, RejectsInvalidControllerPart) {
  EXPECT_EQ(NetworkId::from_u64(0x0000000000123456ULL).error(), Error::invalid_argument);
  EXPECT_EQ(NetworkId::parse("ff00000000000001").error(), Error::invalid_argument);
  EXPECT_EQ(NetworkId::parse("89e92ceee500abc").error(), Error::malformed);
}

TEST(Mac, ParsesBothSeparatorsAndFormatsColons) {
  auto m = Mac::parse("02:1A:2b:3c:4d:5e");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->value(), 0x021a2b3c4d5eULL);
  EXPECT_EQ(m->to_string(), "02:1a:2b:3c:4d:5e");
  EXPECT_EQ(*Mac::parse("02-1a-2b-3c-4d-5e"), *m);
  EXPECT_TRUE(m->is_locally_administered());
  EXPECT_FALSE(m->is_multicast());
  EXPECT_EQ(Mac::from_bytes(m->to_bytes()), *m);
}

TEST(Mac, ClassifiesMulticastAndBroadcast) {
  EXPECT_TRUE(Mac::broadcast().is_broadcast());
  EXPECT_TRUE(Mac::broadcast().is_multicast());
  EXPECT_TRUE(Mac::parse("33:33:00:00:00:01")->is_multicast());
  EXPECT_FALSE(Mac::parse("33:33:00:00:00:01")->is_broadcast());
}

TEST(Mac, RejectsMalformedText) {
  for (const char* bad : {"02:1a:2b:3c:4d", "02:1a:2b:3c:4d:5e:6f", "02:1a-2b:3c:4d:5e",
                          "021a2b3c4d5e", "02:1a:2b:3c:4d:5g", "02.1a.2b.3c.4d.5e", ""})
    EXPECT_EQ(Mac::parse(bad).error(), Error::malformed) << bad;
  EXPECT_EQ(Mac::from_u64(1ULL << 48).error(), Error::invalid_argument);
}

TEST(Ids, HashInUnorderedContainers) {
  std::unordered_set<NodeId> nodes{*NodeId::from_u64(1), *NodeId::from_u64(2),
                                   *NodeId::from_u64(1)};
  EXPECT_EQ(nodes.size(), 2U);
  std::unordered_set<Mac> macs{Mac::broadcast(), Mac{}};
  EXPECT_EQ(macs.size(), 2U);
}

}  // namespace
}  // namespace weft
