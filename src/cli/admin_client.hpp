#pragma once

// The CLI's side of the controller's admin API (docs/vnet.md §5): HTTP/JSON
// over loopback with the bearer token from the controller's token file. The CLI
// layer knows only this protocol, never the controller's code.

#include <nlohmann/json.hpp>

#include <string>

namespace weft::cli {

inline constexpr const char* kDefaultApi = "http://127.0.0.1:9440";

struct AdminOptions {
  std::string api;         // "http://127.0.0.1:9440"; --api or WEFT_API
  std::string token_file;  // --token-file or WEFT_TOKEN_FILE
  bool json = false;
};

class AdminClient {
 public:
  // Empty options are taken from WEFT_API / WEFT_TOKEN_FILE (and the API from
  // kDefaultApi after that). Reads the token file; on failure prints a one-line error and exits 1
  // (via CLI::RuntimeError, like every command).
  explicit AdminClient(const AdminOptions& options);

  // The parsed reply body of a 2xx response; anything else is reported as a
  // one-line error naming what to do, and the command exits 1.
  nlohmann::json get(const std::string& path);
  nlohmann::json post(const std::string& path, const nlohmann::json& body);
  nlohmann::json patch(const std::string& path, const nlohmann::json& body);
  nlohmann::json del(const std::string& path);

 private:
  nlohmann::json call(const std::string& method, const std::string& path, const std::string& body);

  AdminOptions options_;
  std::string token_;
};

}  // namespace weft::cli
