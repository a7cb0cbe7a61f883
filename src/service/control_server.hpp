#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "osdep/poller.hpp"
#include "osdep/unique_fd.hpp"
#include "service/control_request.hpp"

namespace weft::service {

// What the control server asks for each well-formed request; called on the
// server's thread only.
class ControlHandler {
 public:
  // A client connection, for a handler that keeps state per client (a
  // capture lasts as long as the connection that asked for it).
  using ConnectionId = std::uint64_t;
  // A line the handler sends to a client unasked (the end of a capture).
  struct Push {
    ConnectionId to;
    nlohmann::json line;
  };

  virtual ~ControlHandler() = default;
  // The reply object: {"ok":true,...} or {"ok":false,"error":...,"errno":...}.
  virtual nlohmann::json handle(const ControlRequest& request, ConnectionId from) = 0;
  // `id` is gone (closed by the client, cut off, or the server stopping).
  virtual void on_closed(ConnectionId id) { (void)id; }
  // Fds the server's thread also watches, and what to do when one polls
  // readable (the handler must then drain it); lines to push to clients.
  [[nodiscard]] virtual std::vector<int> watched_fds() const { return {}; }
  virtual std::vector<Push> on_watched_fd(int fd) {
    (void)fd;
    return {};
  }
};

struct ControlServerOptions {
  std::string path;                  // the Unix socket; created 0600
  std::size_t max_connections{64};   // more are accepted and closed at once
  std::size_t max_output{4u << 20};  // replies a client has not read; beyond: disconnected
};

// weftd's control API on a Unix stream socket (docs/operations.md): newline-
// delimited JSON, one reply per request, in order. Served by ONE thread that
// sleeps in an osdep::Poller; stop() wakes and joins it.
//
// Only the daemon's own user may talk to it: the socket is 0600 and every
// accepted connection's SO_PEERCRED uid is checked (another uid is closed
// unanswered). A client cannot hurt the daemon or other clients: lines are
// bounded (kMaxControlLine), a line that is not JSON or too long gets an error
// reply and the connection is closed, connections are bounded, and a client
// that does not read its replies is disconnected once they pass max_output.
class ControlServer {
 public:
  // Binds (Error::address_in_use etc., Error::insecure_permissions if the
  // socket did not come out 0600) and starts the thread. `handler` must
  // outlive the server.
  static Result<std::unique_ptr<ControlServer>> start(ControlServerOptions options,
                                                      ControlHandler& handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Joins the thread, closes every connection and removes the socket file.
  // Idempotent.
  void stop() noexcept;

  [[nodiscard]] const std::string& path() const noexcept { return options_.path; }

 private:
  struct Connection {
    osdep::UniqueFd fd;
    std::uint64_t token{0};
    std::string in;       // received, not yet a whole line
    std::string out;      // replies not yet written
    bool closing{false};  // close once `out` is written
    bool writing{false};  // the poller reports it writable (not readable)
  };

  ControlServer(ControlServerOptions options, ControlHandler& handler, osdep::UniqueFd listener,
                osdep::Poller poller) noexcept;
  void run() noexcept;
  void accept_all();
  void serve(std::uint64_t token);
  void read_input(Connection& c);
  void process_lines(Connection& c);
  void reply(Connection& c, const nlohmann::json& j);
  void push(std::uint64_t token, const nlohmann::json& j);
  // Writes what it can; false if the connection must go now.
  bool flush(Connection& c);
  void close(std::uint64_t token);

  const ControlServerOptions options_;
  ControlHandler& handler_;
  osdep::UniqueFd listener_;
  osdep::Poller poller_;
  std::vector<int> watched_;  // the handler's fds; token kWatchedToken - index
  std::thread thread_;
  bool stopped_{false};

  // The thread's own.
  std::map<std::uint64_t, Connection> connections_;
  std::uint64_t next_token_{1};
  bool listener_paused_{false};  // out of fds: listening resumes when a connection closes
};

}  // namespace weft::service
