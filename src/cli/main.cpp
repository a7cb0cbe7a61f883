#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/capture_command.hpp"
#include "cli/exit_code.hpp"
#include "cli/identity_commands.hpp"
#include "cli/network_commands.hpp"
#include "cli/run_command.hpp"
#include "cli/node_commands.hpp"

namespace {

int run(int argc, char** argv) {
  CLI::App app{
      "weft: drive a Weft node\n\nExit codes: 0 ok, 1 failure, 2 usage error, 3 weftd not running.",
      "weft"};
  app.set_version_flag("--version", "weft " WEFT_VERSION);
  app.require_subcommand(1);
  weft::cli::add_identity_commands(app);
  weft::cli::add_network_commands(app);
  weft::cli::add_node_commands(app);
  weft::cli::add_capture_command(app);
  weft::cli::add_run_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // already reported by the command
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    // --help and --version are "errors" with code 0; everything else is usage.
    return rc == 0 ? 0 : static_cast<int>(weft::cli::ExitCode::usage);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "weft: unexpected error\n");
  }
  return static_cast<int>(weft::cli::ExitCode::failure);
}
