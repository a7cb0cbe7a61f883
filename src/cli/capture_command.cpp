#include "cli/capture_command.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/control_client.hpp"
#include "cli/exit_code.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::cli {

namespace {

using nlohmann::json;

struct Options {
  ControlOptions control;
  std::string network;
  std::string file;
  std::uint64_t count{0};
  double duration{0};
};

// SIGINT and SIGTERM become readable on an fd while the capture runs, so the
// wait below is one poll on the daemon's socket, the signals and the deadline.
class SignalFd {
 public:
  SignalFd() {
    sigemptyset(&mask_);
    sigaddset(&mask_, SIGINT);
    sigaddset(&mask_, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &mask_, &old_);
    fd_ = osdep::UniqueFd(::signalfd(-1, &mask_, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd_) fail(ExitCode::failure, "signalfd failed");
  }
  ~SignalFd() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

 private:
  sigset_t mask_{};
  sigset_t old_{};
  osdep::UniqueFd fd_;
};

std::uint64_t number(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

bool is_end(const json& j) { return j.value("event", "") == "capture_end"; }

int report(const Options& o, const std::string& path, const json& end) {
  const std::string reason = end.value("reason", "");
  if (o.control.json) {
    std::printf("%s\n", end.dump(2).c_str());
  } else {
    std::printf("captured %llu frames (%llu bytes) of network %s into %s\n",
                static_cast<unsigned long long>(number(end, "frames")),
                static_cast<unsigned long long>(number(end, "bytes")), o.network.c_str(),
                path.c_str());
  }
  if (const auto dropped = number(end, "dropped"); dropped != 0)
    std::fprintf(stderr,
                 "weft: %llu frames were dropped (the file could not keep up); the capture has "
                 "gaps\n",
                 static_cast<unsigned long long>(dropped));
  if (reason == "write_failed") {
    std::fprintf(stderr, "weft: writing %s failed (disk full?); it ends at the last whole frame\n",
                 path.c_str());
    return static_cast<int>(ExitCode::failure);
  }
  return 0;
}

int run(const Options& o) {
  if (o.duration < 0) fail(ExitCode::usage, "--duration must not be negative");
  std::error_code ec;
  const std::string path = std::filesystem::absolute(o.file, ec).lexically_normal().string();
  if (ec) fail(ExitCode::usage, fmt::format("{}: {}", o.file, ec.message()));

  ControlClient client(o.control);
  // Blocked before the capture starts: a Ctrl-C from here on stops it cleanly.
  SignalFd signals;
  json request{{"cmd", "capture"}, {"network", o.network}, {"path", path}};
  if (o.count != 0) request["count"] = o.count;
  (void)client.call(request);
  if (!o.control.json)
    std::fprintf(stderr, "weft: capturing network %s into %s (Ctrl-C to stop)\n",
                 o.network.c_str(), path.c_str());

  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  if (o.duration > 0)
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o.duration));
  while (!client.has_line()) {
    int timeout = -1;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) break;
      timeout = static_cast<int>(std::min<std::int64_t>(left.count(), 60'000));
    }
    std::array<pollfd, 2> fds{{{client.fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}}};
    const int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) fail(ExitCode::failure, "poll failed");
    if (n <= 0) continue;
    if (fds[1].revents != 0) {
      // Taken, so it is not delivered when the mask is restored on the way out.
      signalfd_siginfo info{};
      (void)!::read(signals.fd(), &info, sizeof info);
      break;  // Ctrl-C or SIGTERM: stop it
    }
    if (fds[0].revents != 0) break;  // the capture ended by itself, or the daemon went away
  }
  if (client.has_line() || [&] {
        pollfd p{client.fd(), POLLIN, 0};
        return ::poll(&p, 1, 0) > 0;
      }()) {
    json line = client.receive();  // the daemon hanging up fails here, with its message
    if (is_end(line)) return report(o, path, line);
  }
  // Stopped here. If the capture ended by itself meanwhile, its end comes
  // first and the stop's "no capture" reply after it is never read.
  client.send({{"cmd", "capture_stop"}});
  json end = client.receive();
  if (!is_end(end)) fail(ExitCode::failure, "the daemon did not report the capture's end");
  return report(o, path, end);
}

}  // namespace

void add_capture_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "capture",
      "Record a joined network's Ethernet frames (both directions) into a pcap file, until "
      "Ctrl-C, --count frames or --duration seconds; read it with tshark -r or wireshark");
  cmd->add_option("--network", o->network, "Network id (16 hex digits); joined")->required();
  cmd->add_option("file", o->file, "The pcap file (created 0600, or truncated)")->required();
  cmd->add_option("--count", o->count, "Stop after this many frames");
  cmd->add_option("--duration", o->duration, "Stop after this many seconds");
  cmd->add_option("--state", o->control.state,
                  "weftd's state directory: its control socket is DIR/control.sock (env "
                  "WEFT_STATE; default $XDG_STATE_HOME/weft, else $HOME/.local/state/weft)");
  cmd->add_option("--socket", o->control.socket, "The control socket itself (wins over --state)");
  cmd->add_flag("--json", o->control.json, "Print the daemon's JSON report of the capture");
  cmd->callback([o] {
    if (const int rc = run(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace weft::cli
