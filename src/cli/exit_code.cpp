#include "cli/exit_code.hpp"

#include <CLI/Error.hpp>
#include <fmt/core.h>

namespace weft::cli {

void fail(ExitCode code, std::string_view message, std::string_view who) {
  fmt::print(stderr, "{}: {}\n", who, message);
  throw CLI::RuntimeError(static_cast<int>(code));
}

}  // namespace weft::cli
