#include "cli/run_command.hpp"

#include <fmt/core.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/network_id.hpp"
#include "cli/control_client.hpp"
#include "cli/elf_interpreter.hpp"
#include "cli/exit_code.hpp"
#include "cli/virtual_prefixes.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::cli {

namespace {

struct RunOptions {
  ControlOptions control;
  std::vector<std::string> networks;
  std::string wildcard = "virtual";
  std::vector<std::string> command;
};

[[noreturn]] void run_failed(ExitCode code, std::string_view message) {
  cli::fail(code, message, "weft run");
}

// $WEFT_PRELOAD; else, for the weft of a build tree, that build's library;
// else where `cmake --install` put it relative to this weft (the lib directory
// beside its bin), wherever the prefix is. An installed weft never reaches
// into a build tree, whose library may be of another version.
std::string preload_path() {
  if (const char* p = std::getenv("WEFT_PRELOAD"); p != nullptr && *p != '\0') return p;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const bool build_tree = std::filesystem::equivalent(self, WEFT_CLI_BUILD_PATH, ec);
  const std::string path =
      build_tree ? std::string(WEFT_PRELOAD_BUILD_PATH)
                 : (self.parent_path() / WEFT_PRELOAD_FROM_BINDIR).lexically_normal().string();
  if (std::filesystem::exists(path, ec)) return path;
  run_failed(ExitCode::failure,
             fmt::format("libweft-preload.so is not at {}; set WEFT_PRELOAD to its path", path));
}

std::string intercept_socket(const ControlOptions& options) {
  const std::string control = ControlClient::socket_path(options);
  if (control.empty()) run_failed(ExitCode::usage, "no state directory: pass --state DIR");
  return (std::filesystem::path(control).parent_path() / "intercept.sock").string();
}

void check_reachable(const std::string& path) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path)
    run_failed(ExitCode::usage, "socket path too long: " + path);
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  osdep::UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) != 0) {
    run_failed(ExitCode::no_daemon,
               fmt::format("no weftd serves programs at {} ({}); start it with: weftd --state DIR",
                           path, std::strerror(errno)));
  }
}

// The file execvp would run for `name` (PATH searched as it does), or "".
std::string resolve(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = end == start ? "." : dirs.substr(start, end - start);
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// A statically linked program never loads the preload: say so (it still runs,
// with its sockets on the kernel).
void warn_if_static(const std::string& program) {
  const std::string path = resolve(program);
  if (path.empty()) return;  // execvp reports it
  std::ifstream in(path, std::ios::binary);
  Bytes start(64 * 1024);
  in.read(reinterpret_cast<char*>(start.data()), static_cast<std::streamsize>(start.size()));
  start.resize(static_cast<std::size_t>(in.gcount()));
  auto dynamic = elf_has_interpreter(start);
  if (dynamic && !*dynamic) {
    fmt::print(stderr,
               "weft run: {} is statically linked: LD_PRELOAD cannot reach it, so its sockets "
               "stay on the kernel (docs/intercept.md, Limits)\n",
               path);
  }
}

void run(const RunOptions& o) {
  if (o.command.empty()) run_failed(ExitCode::usage, "nothing to run: weft run -- PROGRAM ARGS...");
  if (o.wildcard != "virtual" && o.wildcard != "kernel" && o.wildcard != "both")
    run_failed(ExitCode::usage, "--wildcard is virtual, kernel or both");
  std::vector<std::string> ids;
  for (const auto& n : o.networks) {
    auto id = NetworkId::parse(n);
    if (!id)
      run_failed(ExitCode::usage, fmt::format("--network {}: not a network id (16 hex digits)", n));
    ids.push_back(id->to_string());
  }
  // Before the daemon: a broken installation says so whether or not weftd runs.
  std::string preload = preload_path();
  const std::string socket = intercept_socket(o.control);
  check_reachable(socket);

  // The prefixes now, so the program knows what is virtual even if the daemon
  // dies while it runs (its virtual sockets then fail instead of leaking to
  // the kernel's routes).
  ControlClient control(o.control);
  const std::string prefixes = virtual_prefixes(control.call({{"cmd", "networks"}}), ids);

  // After what is preloaded already: a sanitizer's runtime must stay first, and
  // a shim the user put there keeps its precedence.
  if (const char* existing = std::getenv("LD_PRELOAD"); existing != nullptr && *existing != '\0')
    preload = std::string(existing) + ":" + preload;
  std::string joined;
  for (const auto& id : ids) joined += (joined.empty() ? "" : ",") + id;
  ::setenv("LD_PRELOAD", preload.c_str(), 1);
  ::setenv("WEFT_SOCKET", socket.c_str(), 1);
  ::setenv("WEFT_PREFIXES", prefixes.c_str(), 1);
  ::setenv("WEFT_WILDCARD", o.wildcard.c_str(), 1);
  if (joined.empty())
    ::unsetenv("WEFT_NETWORKS");
  else
    ::setenv("WEFT_NETWORKS", joined.c_str(), 1);

  warn_if_static(o.command[0]);
  std::vector<char*> argv;
  for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  // As a shell reports it: 127 not found, 126 found but not runnable.
  const int err = errno;
  fmt::print(stderr, "weft run: {}: {}\n", o.command[0], std::strerror(err));
  throw CLI::RuntimeError(err == ENOENT ? 127 : 126);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand(
      "run",
      "Run an unmodified program on the virtual networks: its sockets to their addresses go "
      "through weftd (binding the wildcard address listens on them too). Exit codes: the "
      "program's own; 3 no daemon; 126/127 the program could not be started");
  cmd->add_option("--state", options->control.state,
                  "weftd's state directory (default: WEFT_STATE, "
                  "else $XDG_STATE_HOME/weft, else $HOME/.local/state/weft)");
  cmd->add_option("--socket", options->control.socket,
                  "weftd's control socket (instead of --state)");
  cmd->add_option("--network", options->networks,
                  "Only this network's addresses are virtual (repeatable)");
  cmd->add_option("--wildcard", options->wildcard,
                  "Where bind(2) to the wildcard address listens: virtual (default), kernel, "
                  "or both (TCP; UDP wildcard sockets stay virtual)")
      ->capture_default_str();
  cmd->add_option("command", options->command, "PROGRAM ARGS... (after --)")->required();
  cmd->callback([options] { run(*options); });
}

}  // namespace weft::cli
