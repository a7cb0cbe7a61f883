// NodeId, NetworkId, Mac and hex parsers: no crash, and canonical round trips.
#include <cstdint>
#include <string_view>

#include "base/hex.hpp"
#include "base/mac.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  if (auto id = weft::NodeId::parse(text)) WEFT_CHECK(*weft::NodeId::parse(id->to_string()) == *id);
  if (auto net = weft::NetworkId::parse(text))
    WEFT_CHECK(*weft::NetworkId::parse(net->to_string()) == *net);
  if (auto mac = weft::Mac::parse(text)) WEFT_CHECK(*weft::Mac::parse(mac->to_string()) == *mac);
  if (auto bytes = weft::from_hex(text)) WEFT_CHECK(bytes->size() * 2 == text.size());
  return 0;
}
