#pragma once

#include <CLI/CLI.hpp>

namespace weft::cli {

// Adds `weft network create|list|delete` and `weft member
// list|authorize|deauthorize|set`, which drive a controller's admin API.
void add_network_commands(CLI::App& app);

}  // namespace weft::cli
