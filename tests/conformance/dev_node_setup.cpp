#include "conformance/dev_node_setup.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <string>

namespace weft::conformance {
namespace {

stack::IpAddress ip(int family, const char* text) {
  stack::IpAddress a;
  a.family = family == AF_INET ? stack::Family::v4 : stack::Family::v6;
  inet_pton(family, text, a.bytes.data());
  return a;
}

}  // namespace

// External linkage, so the store is kept and the node stays reachable to the
// end: lwIP cannot be shut down, so it is never destroyed, and LeakSanitizer
// must not count it as lost.
runtime::DevNode* g_dev_node = nullptr;

runtime::DevNode* dev_node() { return g_dev_node; }

runtime::DevNode* open_dev_node(Side side) {
  const bool test = side == Side::test;
  runtime::DevNodeConfig c;
  c.mac = *Mac::parse(test ? "02:77:00:00:00:01" : "02:77:00:00:00:02");
  c.ipv4 = ip(AF_INET, test ? "10.77.0.1" : "10.77.0.2");
  c.ipv4_prefix = 24;
  c.ipv6 = ip(AF_INET6, test ? "fd77::1" : "fd77::2");
  c.bind = osdep::Endpoint::loopback_v4(0);
  auto node = runtime::DevNode::open(c);
  if (!node) {
    std::fprintf(stderr, "dev node: %s\n", std::string(message(node.error())).c_str());
    return nullptr;
  }
  g_dev_node = std::move(node).value().release();
  return g_dev_node;
}

}  // namespace weft::conformance
