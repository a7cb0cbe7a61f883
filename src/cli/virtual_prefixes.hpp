#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace weft::cli {

// The WEFT_PREFIXES that `weft run` gives a program: from weftd's `networks`
// reply, the addresses with their prefix lengths ("10.147.17.2/24,fd…/64") of
// the networks the daemon's own stack serves, restricted to `only` (network ids;
// empty: every network). A kernel TAP network ("tap" not null) is left out: it
// is the kernel's, and the program reaches it with ordinary sockets, as the
// daemon's own answer to the preload's `info` says (docs/operations.md).
std::string virtual_prefixes(const nlohmann::json& networks_reply,
                             const std::vector<std::string>& only);

}  // namespace weft::cli
