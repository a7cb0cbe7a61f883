#pragma once

#include <string_view>

namespace weft::cli {

// The CLI's exit codes, documented in `weft --help`.
enum class ExitCode : int {
  ok = 0,
  failure = 1,    // the command ran and what it checked or did failed
  usage = 2,      // the command line was wrong
  no_daemon = 3,  // the command needs weftd and none answers at the control socket
};

// Prints "WHO: MESSAGE" to stderr and ends the command with CODE (a
// CLI::RuntimeError, which main turns into the exit status).
[[noreturn]] void fail(ExitCode code, std::string_view message, std::string_view who = "weft");

}  // namespace weft::cli
