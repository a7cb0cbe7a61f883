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
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace weft::integration {

// A child process with a pipe to its stdin and one from its stdout (stderr is
// inherited: it lands in the test's log). Ending::close_stdin: the destructor
// closes stdin and waits; a child that has not exited within 30 s (stuck in a
// command that never returns) is killed by its PID, so a failing test cannot
// hang the suite. Ending::terminate (servers that run until ended): the
// destructor sends SIGTERM and waits. kill() ends it by PID at once.
class ChildProcess {
 public:
  using Ms = std::chrono::milliseconds;
  enum class Ending : bool { close_stdin, terminate };

  static std::unique_ptr<ChildProcess> spawn(const std::vector<std::string>& argv,
                                             Ending ending = Ending::close_stdin) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return nullptr;
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(in[0]);
      ::close(in[1]);
      return nullptr;
    }
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
    c->ending_ = ending;
    return c;
  }

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    close_stdin();
    if (pid_ > 0 && ending_ == Ending::terminate) ::kill(pid_, SIGTERM);
    if (pid_ > 0 && !exited_within(std::chrono::seconds(30))) ::kill(pid_, SIGKILL);
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
    if (stdout_ >= 0) ::close(stdout_);
  }

  // A whole line, however long; "" at EOF or when nothing completes a line
  // within `timeout` (a test fails instead of hanging).
  std::string read_line(Ms timeout = std::chrono::seconds(60)) {
    std::string line;
    if (read_line(line, timeout)) return line;
    return std::exchange(buffer_, {});
  }
  // The next line (without '\n'); false on EOF or timeout (an empty line is true).
  bool read_line(std::string& line, Ms timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      if (!fill(deadline)) return false;
    }
  }
  // Reads lines until one starts with `prefix` and returns it ("" if none came
  // within `timeout`); the lines passed over are appended to `skipped` if given.
  std::string expect_line(const std::string& prefix, Ms timeout = std::chrono::seconds(60),
                          std::vector<std::string>* skipped = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (read_line(line, std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now()))) {
      if (line.starts_with(prefix)) return line;
      if (skipped != nullptr) skipped->push_back(line);
    }
    return "";
  }
  // Exactly n raw bytes (fewer on EOF or timeout).
  std::string read_bytes(std::size_t n, Ms timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buffer_.size() < n && fill(deadline)) {
    }
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, out.size());
    return out;
  }
  // Everything until the child closes stdout (it exits); what came by the timeout otherwise.
  std::string read_to_end(Ms timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) {
    }
    return std::exchange(buffer_, {});
  }

  bool write_line(const std::string& s) {
    join_writer();
    std::string l = s + "\n";
    return ::write(stdin_, l.data(), l.size()) == static_cast<ssize_t>(l.size());
  }
  // Writes `data` to stdin from a thread (the child may answer while it reads,
  // so the test must read meanwhile); with `then_close`, closes stdin after.
  void write(std::string data, bool then_close = false) {
    join_writer();
    writer_ = std::thread([this, data = std::move(data), then_close] {
      std::size_t off = 0;
      while (off < data.size()) {
        const ssize_t n = ::write(stdin_, data.data() + off, data.size() - off);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      if (then_close) ::close(std::exchange(stdin_, -1));
    });
  }
  void close_stdin() {
    join_writer();
    if (stdin_ >= 0) ::close(std::exchange(stdin_, -1));
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
  // After read_to_end saw EOF: the exit code (-1 if killed by a signal).
  int wait_exit() {
    close_stdin();
    int status = 0;
    if (pid_ <= 0 || ::waitpid(pid_, &status, 0) != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  // Waits for the process to end (a pidfd polls readable then), at most `timeout`.
  bool exited_within(Ms timeout) const {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (fd < 0) return false;
    pollfd p{fd, POLLIN, 0};
    const bool exited = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
    ::close(fd);
    return exited;
  }

 private:
  ChildProcess() = default;
  void join_writer() {
    if (writer_.joinable()) writer_.join();
  }
  // Appends what stdout has by the deadline; false on EOF or timeout.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now());
    pollfd p{stdout_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[65536];
    const ssize_t n = ::read(stdout_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_{-1};
  int stdin_{-1};
  int stdout_{-1};
  Ending ending_{Ending::close_stdin};
  std::string buffer_;  // read, not yet returned
  std::thread writer_;
};

inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Reads lines until one starts with `prefix`; "" if none came within `timeout`.
inline std::string expect_line(ChildProcess& p, const std::string& prefix,
                               std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  return p.expect_line(prefix, timeout);
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
