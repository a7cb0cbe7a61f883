#pragma once

#include <CLI/CLI.hpp>

namespace weft::cli {

// Adds `weft capture --network NET FILE.pcap [--count N] [--duration S]`: the
// local weftd records the network's Ethernet frames (both directions) into
// FILE.pcap until Ctrl-C/SIGTERM, N frames or S seconds.
void add_capture_command(CLI::App& app);

}  // namespace weft::cli
