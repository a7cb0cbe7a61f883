#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace weft::integration {

// A child process with a pipe to its stdin and one from its stdout. Closing
// stdin (the destructor) asks it to exit; one that has not within 30 s (stuck
// in a command that never returns) is killed by its PID, so a failing test
// cannot hang the suite. kill() ends it by PID at once.
class ChildProcess {
 public:
  static std::unique_ptr<ChildProcess> spawn(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return nullptr;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));  // NOLINT
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) {
      ::close(in[1]);
      ::close(out[0]);
      return nullptr;
    }
    auto c = std::unique_ptr<ChildProcess>(new ChildProcess);
    c->pid_ = pid;
    c->stdin_ = in[1];
    c->stdout_ = out[0];
    return c;
  }

  ~ChildProcess() {
    if (stdin_ >= 0) ::close(stdin_);
    if (stdout_ >= 0) ::close(stdout_);
    if (pid_ > 0 && !exited_within(std::chrono::seconds(30))) ::kill(pid_, SIGKILL);
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
  }

  // A whole line, however long; "" at EOF or when nothing completes a line
  // within `timeout` (a test fails instead of hanging).
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{stdout_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char chunk[65536];
      const ssize_t n = ::read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return std::exchange(buffer_, {});
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  bool write_line(const std::string& s) {
    std::string l = s + "\n";
    return ::write(stdin_, l.data(), l.size()) == static_cast<ssize_t>(l.size());
  }
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  // Asks it to stop (SIGTERM, or another signal) and waits for it.
  void terminate(int signal = SIGTERM) {
    if (pid_ > 0) {
      ::kill(pid_, signal);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  // Waits for the process to end (a pidfd polls readable then), at most `timeout`.
  bool exited_within(std::chrono::milliseconds timeout) const {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (fd < 0) return false;
    pollfd p{fd, POLLIN, 0};
    const bool exited = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
    ::close(fd);
    return exited;
  }

 private:
  ChildProcess() = default;
  pid_t pid_{-1};
  int stdin_{-1};
  int stdout_{-1};
  std::string buffer_;  // read, not yet returned
};

inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Reads lines until one starts with `prefix`; "" if the process ended (or
// went silent) first.
inline std::string expect_line(ChildProcess& p, const std::string& prefix,
                               std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  while (true) {
    std::string line = p.read_line(timeout);
    if (line.empty() || starts_with(line, prefix)) return line;
  }
}

// A line's space-separated words.
inline std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> w;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::size_t j = line.find(' ', i);
    w.push_back(line.substr(i, j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return w;
}

}  // namespace weft::integration
