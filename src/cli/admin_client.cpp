#include "cli/admin_client.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <httplib.h>

#include <cstdio>
#include <cstdlib>

#include "cli/exit_code.hpp"
#include "osdep/files.hpp"

namespace weft::cli {

namespace {

[[noreturn]] void fail(std::string_view message) { cli::fail(ExitCode::failure, message); }

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

AdminClient::AdminClient(const AdminOptions& options) : options_(options) {
  if (options_.api.empty()) {
    const char* env = std::getenv("WEFT_API");
    options_.api = env != nullptr && *env != '\0' ? env : kDefaultApi;
  }
  if (options_.token_file.empty()) {
    const char* env = std::getenv("WEFT_TOKEN_FILE");
    if (env != nullptr) options_.token_file = env;
  }
  if (options_.token_file.empty())
    fail(
        "no admin token: pass --token-file FILE or set WEFT_TOKEN_FILE (the controller's token "
        "file)");
  auto text = osdep::read_secret_file(options_.token_file, 4096);
  if (!text) {
    const Error e = text.error();
    if (e == Error::insecure_permissions)
      fail(fmt::format("{} is readable by others; run `chmod 600 {}`", options_.token_file,
                       options_.token_file));
    fail(fmt::format("{}: {}", options_.token_file, message(e)));
  }
  token_ = trim(*text);
}

nlohmann::json AdminClient::call(const std::string& method, const std::string& path,
                                 const std::string& body) {
  httplib::Client client(options_.api);
  if (!client.is_valid())
    fail(fmt::format("'{}' is not an admin API URL; pass --api http://127.0.0.1:PORT",
                     options_.api));
  client.set_bearer_token_auth(token_);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  httplib::Result r = method == "GET"      ? client.Get(path)
                      : method == "DELETE" ? client.Delete(path)
                      : method == "PATCH"  ? client.Patch(path, body, "application/json")
                                           : client.Post(path, body, "application/json");
  if (!r)
    fail(
        fmt::format("cannot reach the controller at {} ({}); is weft-controller running? "
                    "set --api or WEFT_API",
                    options_.api, httplib::to_string(r.error())));
  auto reply = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status == 401)
    fail(fmt::format(
        "the controller refused the token in {}; use the token file it was started with",
        options_.token_file));
  if (r->status < 200 || r->status >= 300) {
    const std::string what =
        reply.is_object() && reply.contains("message") && reply["message"].is_string()
            ? reply["message"].get<std::string>()
            : fmt::format("HTTP {}", r->status);
    fail(fmt::format("controller: {}", what));
  }
  if (reply.is_discarded()) fail("the controller sent a reply that is not JSON");
  return reply;
}

nlohmann::json AdminClient::get(const std::string& path) { return call("GET", path, ""); }
nlohmann::json AdminClient::post(const std::string& path, const nlohmann::json& body) {
  return call("POST", path, body.dump());
}
nlohmann::json AdminClient::patch(const std::string& path, const nlohmann::json& body) {
  return call("PATCH", path, body.dump());
}
nlohmann::json AdminClient::del(const std::string& path) { return call("DELETE", path, ""); }

}  // namespace weft::cli
