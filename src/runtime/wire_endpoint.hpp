#pragma once

// The peer layer names UDP endpoints as they travel inside root messages
// (wire::Endpoint); the socket layer as the kernel takes them (osdep::Endpoint).
// The runtime is where the two meet.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "node/node.hpp"
#include "osdep/endpoint.hpp"
#include "wire/endpoint.hpp"

namespace weft::runtime {

[[nodiscard]] osdep::Endpoint to_osdep(const wire::Endpoint& e) noexcept;
// nullopt for what the wire cannot carry: port 0, or an IPv6 scope (a
// link-local endpoint means nothing to another host).
[[nodiscard]] std::optional<wire::Endpoint> to_wire(const osdep::Endpoint& e) noexcept;

// A root as configured on command lines and in files:
// "<public identity>@<endpoint>", e.g. "a1b2c3d4e5:1:<keys>@192.0.2.1:9993".
// Error::malformed without the '@'; the identity's and endpoint's parse errors.
Result<node::RootEntry> parse_root_entry(std::string_view text);
[[nodiscard]] std::string to_string(const node::RootEntry& root);

}  // namespace weft::runtime
