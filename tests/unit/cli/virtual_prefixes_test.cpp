// What `weft run` tells the preload is virtual: the daemon's own networks'
// addresses, never a kernel TAP network's (those are the kernel's).
#include "cli/virtual_prefixes.hpp"

#include <gtest/gtest.h>

namespace weft::cli {
namespace {

const nlohmann::json kReply = nlohmann::json::parse(R"({"ok": true, "networks": [
  {"id": "8056c2e21c000001", "state": "ready", "tap": null,
   "addresses": ["10.147.17.2/24", "fdb8:9cfd:3471:0:9993:135:4a1a:279d/64"]},
  {"id": "8056c2e21c000002", "state": "ready", "tap": "weft0",
   "addresses": ["10.9.0.7/24", "fd11:2233:4455:0:9993:135:4a1a:279d/64"]},
  {"id": "8056c2e21c000003", "state": "requesting", "tap": null, "addresses": []},
  {"id": "8056c2e21c000004", "state": "ready", "tap": null, "addresses": ["10.5.0.9/16"]}
]})");

TEST(VirtualPrefixes, TheDaemonsNetworksWithTheirPrefixLengths) {
  EXPECT_EQ(virtual_prefixes(kReply, {}),
            "10.147.17.2/24,fdb8:9cfd:3471:0:9993:135:4a1a:279d/64,10.5.0.9/16");
}

TEST(VirtualPrefixes, AKernelTapNetworkIsLeftOutEvenWhenAskedFor) {
  EXPECT_EQ(virtual_prefixes(kReply, {"8056c2e21c000002"}), "");
  EXPECT_EQ(virtual_prefixes(kReply, {"8056c2e21c000002", "8056c2e21c000004"}), "10.5.0.9/16");
}

TEST(VirtualPrefixes, OnlyTheNetworksNamed) {
  EXPECT_EQ(virtual_prefixes(kReply, {"8056c2e21c000001"}),
            "10.147.17.2/24,fdb8:9cfd:3471:0:9993:135:4a1a:279d/64");
  EXPECT_EQ(virtual_prefixes(kReply, {"8056c2e21c000009"}), "");
}

TEST(VirtualPrefixes, AReplyWithoutNetworksGivesNothing) {
  EXPECT_EQ(virtual_prefixes(nlohmann::json::parse(R"({"ok": true})"), {}), "");
  EXPECT_EQ(virtual_prefixes(nlohmann::json::parse(R"({"ok": true, "networks": []})"), {}), "");
}

}  // namespace
}  // namespace weft::cli
