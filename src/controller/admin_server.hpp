#pragma once

// The admin API's HTTP server (cpp-httplib) on loopback. It owns one listener
// thread (which runs httplib's accept loop and its worker pool); stop() makes
// the accept loop return and joins the thread, and the destructor stops.
//
// Refuses to start (Error::invalid_argument) on any bind address but 127.0.0.1
// or ::1; port 0 picks a free port (port() tells which). The token is read from
// a file that only its owner may read (osdep::read_secret_file:
// Error::insecure_permissions otherwise) and must hold at least
// AdminHandler::kMinTokenLength characters.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.hpp"
#include "controller/admin_handler.hpp"
#include "controller/controller.hpp"

namespace httplib {
class Server;
}

namespace weft::controller {

class AdminServer {
 public:
  struct Options {
    std::string bind_address = "127.0.0.1";
    int port = 0;
    std::string token_file;
    // Milliseconds since the Unix epoch; the system clock unless a test sets one.
    std::function<std::uint64_t()> now_ms;
    // After every request that may have changed something (any method but
    // GET), on the worker thread: a hosting node sends the pushes now instead
    // of at its next timer.
    std::function<void()> on_change{};
  };

  static Result<std::unique_ptr<AdminServer>> start(Controller& controller, Options options);
  // Writes a random token (mode 0600) to `path` unless the file exists.
  static Result<void> ensure_token_file(const std::string& path);

  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;
  ~AdminServer();

  [[nodiscard]] int port() const noexcept { return port_; }
  void stop();

 private:
  AdminServer(Controller& controller, std::string token, std::function<std::uint64_t()> now_ms,
              std::function<void()> on_change);

  AdminHandler handler_;
  std::function<std::uint64_t()> now_ms_;
  std::function<void()> on_change_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_{0};
  // httplib's stop() does nothing before its accept loop has started; the loop
  // says it started by asking for its worker pool, and stop() waits for that.
  std::mutex mutex_;
  std::condition_variable started_cv_;
  bool started_{false};
};

}  // namespace weft::controller
