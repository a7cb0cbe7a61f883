#pragma once

// The admin API's JSON forms (docs/vnet.md §5): controller structs to JSON and
// request bodies to controller structs. Requests are checked field by field;
// a wrong type or value is Error::invalid_argument with a message saying which.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "controller/controller.hpp"

namespace weft::controller::admin_json {

// A converted request body, or why it did not convert (for the 400 reply).
template <typename T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // set when value is empty
};

nlohmann::json network(const NetworkInfo& n);
nlohmann::json member(const MemberInfo& m);

// {"name": str, "private": bool?, "mtu": int?, "dns_domain": str?,
//  "ipv4_pools": ["10.1.0.0/24" | "10.1.0.10-10.1.0.99/24", ...]?,
//  "routes": [{"target": "10.2.0.0/16", "via": "10.1.0.1"?}, ...]?}
Parsed<NetworkSettings> network_settings(const nlohmann::json& body);
// {"name": str?, "ipv4": ["10.1.0.7/24" | "10.1.0.7", ...]?}; an address without a
// prefix gets the prefix of the pool that holds it, else /32.
Parsed<MemberUpdate> member_update(const nlohmann::json& body, const std::vector<Ipv4Pool>& pools);

// "a.b.c.d" in host order.
std::optional<std::uint32_t> parse_ipv4(std::string_view text);
std::string ipv4_text(std::uint32_t host_order);

}  // namespace weft::controller::admin_json
