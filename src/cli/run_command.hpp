#pragma once

#include <CLI/CLI.hpp>

namespace weft::cli {

// Adds `weft run [--network N]... -- PROGRAM ARGS...`: runs an unmodified
// program with libweft-preload.so, so its sockets to the daemon's virtual
// networks travel over them (docs/intercept.md).
void add_run_command(CLI::App& app);

}  // namespace weft::cli
