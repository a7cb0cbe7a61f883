#pragma once

// The admin API's request handling, apart from any socket: checks (source
// address, Host header, bearer token), routing, JSON in and out. The HTTP
// server (admin_server.hpp) hands it each request; tests call it directly for
// what a real socket cannot produce (a non-loopback source).
//
// Order of checks: a non-loopback source or Host is 403, then a missing or
// wrong token is 401, then the route. The Host check stops DNS rebinding (a web
// page in a local browser naming the API by a hostname it controls); the source
// check is defence in depth, since the server binds only to loopback.

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/controller.hpp"

namespace weft::controller {

class AdminHandler {
 public:
  struct Request {
    std::string method;  // "GET", "POST", "PATCH", "DELETE"
    std::string path;
    std::string authorization;  // the Authorization header, or empty
    std::string host;           // the Host header, or empty
    std::string remote_addr;    // the peer's address as text
    std::string body;
  };
  struct Response {
    int status{200};
    std::string body;  // JSON
  };

  static constexpr std::size_t kMinTokenLength = 16;

  AdminHandler(Controller& controller, std::string token)
      : controller_(controller), token_(std::move(token)) {}

  Response handle(const Request& request, std::uint64_t now_ms);

  static bool is_loopback(std::string_view address) noexcept;
  // "127.0.0.1:8080", "localhost", "[::1]:80" and the like.
  static bool is_loopback_host(std::string_view host) noexcept;
  // Compares all of both strings whatever their contents (the token's length
  // is not secret; its bytes are).
  static bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

 private:
  Response route(const Request& request, std::uint64_t now_ms);

  Controller& controller_;
  std::string token_;
};

}  // namespace weft::controller
