#pragma once

// The CLI's side of weftd's control API (docs/operations.md, "Control API"):
// one JSON object per line over the node service's Unix socket. The CLI layer
// knows only this protocol, never the service's code.

#include <nlohmann/json.hpp>

#include <string>

#include "osdep/unique_fd.hpp"

namespace weft::cli {

struct ControlOptions {
  std::string state;   // --state DIR: DIR/control.sock
  std::string socket;  // --socket PATH (wins over --state)
  bool json = false;
};

class ControlClient {
 public:
  // Finds the socket (--socket, --state, $WEFT_STATE, then the default state
  // directory) and connects. No daemon there: a one-line error saying how to
  // start one, exit 3 (via CLI::RuntimeError, like every command).
  explicit ControlClient(const ControlOptions& options);

  // Sends one request and returns its reply. A reply with "ok": false is
  // printed (as JSON with --json, else as a one-line error) and the command
  // exits 1; so is a daemon that hangs up or does not answer.
  nlohmann::json call(const nlohmann::json& request);
  // Sends one request without waiting for its reply.
  void send(const nlohmann::json& request);
  // The next line the daemon sends (a reply, or a line it pushes unasked such
  // as a capture's end), checked as call() checks a reply. Waits at most 30 s.
  nlohmann::json receive();
  // A whole line is already buffered (poll the fd only when not).
  [[nodiscard]] bool has_line() const { return pending_.find('\n') != std::string::npos; }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  // The socket path the options lead to ("" if none: no HOME either).
  static std::string socket_path(const ControlOptions& options);

 private:
  ControlOptions options_;
  std::string path_;
  osdep::UniqueFd fd_;
  std::string pending_;  // read past the end of the last reply
};

}  // namespace weft::cli
