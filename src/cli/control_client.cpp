#include "cli/control_client.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "cli/exit_code.hpp"
#include "osdep/state_dir.hpp"
#include "osdep/unix_socket.hpp"

namespace weft::cli {

namespace {

// Replies are small; a daemon that sends more than this in one line is broken.
constexpr std::size_t kMaxReply = 16u << 20;

std::string start_hint(const ControlOptions& o) {
  if (!o.state.empty()) return fmt::format("start it with `weftd --state {}`", o.state);
  if (const char* env = std::getenv("WEFT_STATE"); env != nullptr && *env != '\0')
    return fmt::format("start it with `weftd --state {}`", env);
  return "start it with `weftd`";
}

}  // namespace

std::string ControlClient::socket_path(const ControlOptions& o) {
  if (!o.socket.empty()) return o.socket;
  if (!o.state.empty()) return o.state + "/control.sock";
  if (const char* env = std::getenv("WEFT_STATE"); env != nullptr && *env != '\0')
    return std::string(env) + "/control.sock";
  auto dir = osdep::default_state_dir();
  return dir ? *dir + "/control.sock" : std::string();
}

ControlClient::ControlClient(const ControlOptions& options) : options_(options) {
  path_ = socket_path(options_);
  if (path_.empty())
    fail(ExitCode::usage,
         "no state directory: pass --state DIR or --socket PATH (HOME is not set)");
  auto fd = osdep::connect_unix(path_);
  if (!fd) {
    const Error e = fd.error();
    if (e == Error::not_found || e == Error::connection_refused)
      fail(ExitCode::no_daemon, fmt::format("weftd is not running (nothing listens on {}); {}",
                                            path_, start_hint(options_)));
    if (e == Error::permission_denied)
      fail(ExitCode::failure,
           fmt::format("{}: permission denied (the daemon there belongs to another user)", path_));
    fail(ExitCode::failure, fmt::format("{}: {}", path_, message(e)));
  }
  fd_ = std::move(*fd);
  // A daemon that accepts but never answers must not hang the command.
  timeval tv{30, 0};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

nlohmann::json ControlClient::call(const nlohmann::json& request) {
  send(request);
  return receive();
}

void ControlClient::send(const nlohmann::json& request) {
  const std::string line = request.dump() + "\n";
  for (std::size_t off = 0; off < line.size();) {
    const ssize_t n = ::send(fd_.get(), line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(ExitCode::failure, fmt::format("{}: the daemon hung up", path_));
    off += static_cast<std::size_t>(n);
  }
}

nlohmann::json ControlClient::receive() {
  std::size_t nl = pending_.find('\n');
  while (nl == std::string::npos) {
    char buf[65536];
    const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      fail(ExitCode::failure, fmt::format("{}: the daemon did not answer within 30 s", path_));
    if (n <= 0)
      fail(ExitCode::failure,
           fmt::format("{}: the daemon closed the connection without answering (does it run as "
                       "another user?)",
                       path_));
    pending_.append(buf, static_cast<std::size_t>(n));
    if (pending_.size() > kMaxReply) fail(ExitCode::failure, "the daemon's reply is too long");
    nl = pending_.find('\n');
  }
  auto reply = nlohmann::json::parse(pending_.substr(0, nl), nullptr, false);
  pending_.erase(0, nl + 1);
  if (reply.is_discarded() || !reply.is_object())
    fail(ExitCode::failure, "the daemon sent a reply that is not a JSON object");
  if (!reply.value("ok", false)) {
    if (options_.json) {
      std::printf("%s\n", reply.dump(2).c_str());
      throw CLI::RuntimeError(static_cast<int>(ExitCode::failure));
    }
    const auto error = reply.find("error");
    fail(ExitCode::failure, error != reply.end() && error->is_string()
                                ? error->get<std::string>()
                                : std::string("the daemon refused the request"));
  }
  return reply;
}

}  // namespace weft::cli
