#include "controller/admin_server.hpp"

#include <httplib.h>

#include <chrono>
#include <filesystem>

#include "base/hex.hpp"
#include "base/log.hpp"
#include "crypto/random.hpp"
#include "osdep/files.hpp"

namespace weft::controller {

namespace {

constexpr std::size_t kMaxBody = 64 * 1024;
// Admin requests are rare and short; a few workers bound the threads an
// admin client (or a local attacker without the token) can occupy.
constexpr std::size_t kWorkers = 4;

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

std::uint64_t system_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

AdminServer::AdminServer(Controller& controller, std::string token,
                         std::function<std::uint64_t()> now_ms, std::function<void()> on_change)
    : handler_(controller, std::move(token)),
      now_ms_(now_ms ? std::move(now_ms) : system_now_ms),
      on_change_(std::move(on_change)),
      server_(std::make_unique<httplib::Server>()) {}

Result<std::unique_ptr<AdminServer>> AdminServer::start(Controller& controller, Options options) {
  if (options.bind_address != "127.0.0.1" && options.bind_address != "::1")
    return Error::invalid_argument;
  if (options.port < 0 || options.port > 65535) return Error::invalid_argument;
  auto text = osdep::read_secret_file(options.token_file, 4096);
  if (!text) return text.error();
  std::string token = trim(std::move(text).value());
  if (token.size() < AdminHandler::kMinTokenLength) return Error::invalid_argument;

  std::unique_ptr<AdminServer> self(
      new AdminServer(controller, std::move(token), std::move(options.now_ms),
                      std::move(options.on_change)));
  auto& server = *self->server_;
  server.set_payload_max_length(kMaxBody);
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_max_count(100);
  AdminServer* raw = self.get();
  server.new_task_queue = [raw]() -> httplib::TaskQueue* {
    {
      std::lock_guard lock(raw->mutex_);
      raw->started_ = true;
    }
    raw->started_cv_.notify_all();
    return new httplib::ThreadPool(
        kWorkers);  // NOLINT(cppcoreguidelines-owning-memory): httplib owns it
  };
  const auto serve = [raw](const httplib::Request& req, httplib::Response& res) {
    AdminHandler::Request r{req.method,
                            req.path,
                            req.get_header_value("Authorization"),
                            req.get_header_value("Host"),
                            req.remote_addr,
                            req.body};
    const auto out = raw->handler_.handle(r, raw->now_ms_());
    res.status = out.status;
    res.set_content(out.body, "application/json");
    if (raw->on_change_ && req.method != "GET" && out.status < 300) raw->on_change_();
  };
  server.Get(".*", serve);
  server.Post(".*", serve);
  server.Patch(".*", serve);
  server.Delete(".*", serve);
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                  std::exception_ptr) {
    res.status = 500;
    res.set_content(R"({"error":"internal","message":"the request failed inside the controller"})",
                    "application/json");
  });

  const int port =
      options.port == 0
          ? server.bind_to_any_port(options.bind_address)
          : (server.bind_to_port(options.bind_address, options.port) ? options.port : -1);
  if (port <= 0) return Error::address_in_use;
  self->port_ = port;
  self->thread_ = std::thread([raw] { raw->server_->listen_after_bind(); });
  log::info("controller", "admin API on {}:{}", options.bind_address, port);
  return self;
}

Result<void> AdminServer::ensure_token_file(const std::string& path) {
  if (std::filesystem::exists(path)) return {};
  ByteArray<32> token{};
  crypto::random_bytes(token);
  return osdep::write_file_atomic(path, to_hex(token) + "\n", 0600);
}

void AdminServer::stop() {
  if (!thread_.joinable()) return;
  {
    std::unique_lock lock(mutex_);
    started_cv_.wait(lock, [this] { return started_; });
  }
  server_->stop();
  thread_.join();
}

AdminServer::~AdminServer() { stop(); }

}  // namespace weft::controller
