#pragma once

// weftd's optional configuration file (docs/operations.md, "weftd
// configuration"): a JSON object with the keys below, every one optional.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/log.hpp"
#include "base/network_id.hpp"
#include "node/node.hpp"
#include "osdep/endpoint.hpp"

namespace weft::service {

struct WeftdConfig {
  std::optional<std::vector<node::RootEntry>> roots;  // "roots": ["IDENTITY@HOST:PORT", ...]
  std::optional<osdep::Endpoint> listen;              // "listen": "0.0.0.0:0"
  std::optional<log::Level> log_level;                // "log_level": "info"
  // "tap": {"NETWORK": "DEVICE"}: these networks join in kernel TAP mode with
  // this device name ("" -> "weft%d") when `weft join` names no --tap.
  std::map<NetworkId, std::string> tap;
};

// The file's settings, or a one-line message naming the key that is wrong
// (unknown, wrong type, or a value that does not parse).
std::variant<WeftdConfig, std::string> parse_weftd_config(std::string_view text);

}  // namespace weft::service
