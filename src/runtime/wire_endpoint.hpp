#pragma once

// The peer layer names UDP endpoints as they travel inside root messages
// (wire::Endpoint); the socket layer as the kernel takes them (osdep::Endpoint).
// The runtime is where the two meet.

#include <optional>

#include "osdep/endpoint.hpp"
#include "wire/endpoint.hpp"

namespace weft::runtime {

[[nodiscard]] osdep::Endpoint to_osdep(const wire::Endpoint& e) noexcept;
// nullopt for what the wire cannot carry: port 0, or an IPv6 scope (a
// link-local endpoint means nothing to another host).
[[nodiscard]] std::optional<wire::Endpoint> to_wire(const osdep::Endpoint& e) noexcept;

}  // namespace weft::runtime
