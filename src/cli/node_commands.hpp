#pragma once

#include <CLI/CLI.hpp>

namespace weft::cli {

// Adds `weft status`, `weft peers`, `weft networks`, `weft join <network>` and
// `weft leave <network>`, which drive the local node service (weftd) over its
// control socket.
void add_node_commands(CLI::App& app);

}  // namespace weft::cli
