#pragma once

// How a test starts the ordinary socket programs of tests/programs/: directly
// (prefix empty) on kernel sockets, or through a launcher such as the LD_PRELOAD
// intercept (prefix {"/path/to/weft", "run", "--", ...}) so the very same
// binaries talk over the virtual network; `host` is the address the program
// binds (servers) or connects to (clients). A target that includes this calls
// weft_use_socket_programs(<target>) in CMake, which defines where the
// programs are and builds them first.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "integration/child_process.hpp"

#if !defined(WEFT_SOCKET_PROGRAMS_DIR) || !defined(WEFT_PYTHON3) || !defined(WEFT_PY_SOCKETS)
#error "call weft_use_socket_programs(<target>) in CMake for targets using program_runner.hpp"
#endif

namespace weft::integration {

// What a program printed (its stdout, by line) and how it ended (exit code, -1
// if a signal ended it).
struct ProgramRun {
  int exit_code{-1};
  std::vector<std::string> lines;
};

// Waits for a started program to close its stdout (it exits), at most `timeout`.
inline ProgramRun finish(ChildProcess& p,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  ProgramRun r;
  const std::string out = p.read_to_end(timeout);
  std::size_t i = 0;
  while (i < out.size()) {
    const std::size_t nl = out.find('\n', i);
    r.lines.push_back(out.substr(i, nl == std::string::npos ? std::string::npos : nl - i));
    if (nl == std::string::npos) break;
    i = nl + 1;
  }
  if (!p.exited_within(std::chrono::seconds(1))) p.kill();  // stdout closed yet still running
  r.exit_code = p.wait_exit();
  return r;
}

struct ProgramRunner {
  // Run through this command (its first word a path: ChildProcess does not
  // search PATH); empty runs the program itself.
  std::vector<std::string> prefix;
  std::string host;

  // The argv for a program of tests/programs by file name: a C program
  // ("echo_server") from the build, "py_sockets.py" through the python3 found
  // at configure time. `args` follow, with no host: callers put it where the
  // program wants it (usually first).
  [[nodiscard]] std::vector<std::string> argv(const std::string& program,
                                              const std::vector<std::string>& args) const {
    std::vector<std::string> v = prefix;
    if (program == "py_sockets.py") {
      v.emplace_back(WEFT_PYTHON3);
      v.emplace_back(WEFT_PY_SOCKETS);
    } else {
      v.push_back(std::string(WEFT_SOCKET_PROGRAMS_DIR) + "/" + program);
    }
    v.insert(v.end(), args.begin(), args.end());
    return v;
  }

  // Starts the program; nullptr if it could not be started.
  [[nodiscard]] std::unique_ptr<ChildProcess> spawn(
      const std::string& program, const std::vector<std::string>& args,
      ChildProcess::Ending ending = ChildProcess::Ending::close_stdin) const {
    return ChildProcess::spawn(argv(program, args), ending);
  }

  // Runs a program to its end.
  [[nodiscard]] ProgramRun run(const std::string& program,
                               const std::vector<std::string>& args) const {
    auto p = spawn(program, args);
    if (!p) return {};
    return finish(*p);
  }
};

}  // namespace weft::integration
