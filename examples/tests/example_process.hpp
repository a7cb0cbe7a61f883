#pragma once

// An example program as a child process: the test writes its stdin (possibly
// megabytes, from a thread, while reading), reads its stdout as lines or raw
// bytes, and ends it by PID. stderr is inherited (it lands in the test log).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace weft::examples_test {

using Ms = std::chrono::milliseconds;
inline constexpr Ms kWait{30000};  // generous: 2 busy cores

class ExampleProcess {
 public:
  static std::unique_ptr<ExampleProcess> spawn(const std::vector<std::string>& argv) {
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
    const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) {
      ::close(in[1]);
      ::close(out[0]);
      return nullptr;
    }
    auto p = std::unique_ptr<ExampleProcess>(new ExampleProcess);
    p->pid_ = pid;
    p->stdin_ = in[1];
    p->stdout_ = out[0];
    return p;
  }

  ExampleProcess(const ExampleProcess&) = delete;
  ExampleProcess& operator=(const ExampleProcess&) = delete;
  ~ExampleProcess() {
    close_stdin();
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);  // servers run until ended
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(stdout_);
  }

  // Writes `data` to stdin from a thread (the program may answer while it
  // reads, so the test must read meanwhile); with `then_close`, closes stdin after.
  void write(std::string data, bool then_close = false) {
    join_writer();
    writer_ = std::thread([this, data = std::move(data), then_close] {
      std::size_t off = 0;
      while (off < data.size()) {
        const ssize_t n = ::write(stdin_, data.data() + off, data.size() - off);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      if (then_close) {
        ::close(stdin_);
        stdin_ = -1;
      }
    });
  }
  void close_stdin() {
    join_writer();
    if (stdin_ >= 0) ::close(std::exchange(stdin_, -1));
  }

  // The next line (without '\n'); false on EOF or timeout.
  bool read_line(std::string& line, Ms timeout = kWait) {
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
  // Reads lines until one starts with `prefix` and returns it ("" if none
  // came); the lines passed over are appended to `skipped` if given.
  std::string expect_line(const std::string& prefix, Ms timeout = kWait,
                          std::vector<std::string>* skipped = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (read_line(line,
                     std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now()))) {
      if (line.starts_with(prefix)) return line;
      if (skipped != nullptr) skipped->push_back(line);
    }
    return "";
  }
  // Exactly n raw bytes (fewer on EOF or timeout).
  std::string read_bytes(std::size_t n, Ms timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buffer_.size() < n && fill(deadline)) {
    }
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, out.size());
    return out;
  }
  // Everything until the program closes stdout (it exits); what came by the timeout otherwise.
  std::string read_to_end(Ms timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) {
    }
    return std::exchange(buffer_, {});
  }
  // After read_to_end saw EOF: the exit code (-1 if killed by a signal).
  int wait_exit() {
    close_stdin();
    int status = 0;
    if (pid_ <= 0 || ::waitpid(pid_, &status, 0) != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  ExampleProcess() = default;
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
  std::string buffer_;  // read, not yet returned
  std::thread writer_;
};

}  // namespace weft::examples_test
