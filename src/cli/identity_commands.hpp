#pragma once

#include <CLI/CLI.hpp>

namespace weft::cli {

// Adds `weft identity new|show|verify` to the app.
void add_identity_commands(CLI::App& app);

}  // namespace weft::cli
