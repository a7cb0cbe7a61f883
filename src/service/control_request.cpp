#include "service/control_request.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <utility>

#include "osdep/linux_tap.hpp"

namespace weft::service {

namespace {

using Command = ControlRequest::Command;

constexpr std::array<std::pair<std::string_view, Command>, 8> kCommands{{
    {"status", Command::status},
    {"peers", Command::peers},
    {"networks", Command::networks},
    {"join", Command::join},
    {"leave", Command::leave},
    {"stats", Command::stats},
    {"capture", Command::capture},
    {"capture_stop", Command::capture_stop},
}};

// A request is one flat object: anything nested ('[' or '{' inside it,
// outside strings) is refused before the JSON parser builds a tree for it.
bool flat(std::string_view line) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : line) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > 1) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

ControlError error(Error code, std::string message) { return {code, std::move(message)}; }

}  // namespace

std::string_view name(Command command) noexcept {
  for (const auto& [text, c] : kCommands)
    if (c == command) return text;
  return "?";
}

std::variant<ControlRequest, ControlError> parse_control_request(std::string_view line) {
  if (line.size() > kMaxControlLine)
    return error(Error::too_large, "request longer than 65536 bytes");
  if (!flat(line)) return error(Error::malformed, "a request is a flat JSON object");
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded()) return error(Error::malformed, "not JSON");
  if (!j.is_object()) return error(Error::malformed, "a request is a JSON object");
  const auto cmd = j.find("cmd");
  if (cmd == j.end() || !cmd->is_string())
    return error(Error::malformed, "\"cmd\" (a string) is missing");
  const auto& text = cmd->get_ref<const std::string&>();
  std::optional<Command> command;
  for (const auto& [t, c] : kCommands)
    if (t == text) command = c;
  if (!command) return error(Error::unsupported, "unknown cmd \"" + text.substr(0, 64) + "\"");

  ControlRequest request;
  request.command = *command;
  const bool capture = *command == Command::capture;
  const bool takes_network = *command == Command::join || *command == Command::leave || capture;
  for (const auto& [key, value] : j.items()) {
    if (key == "cmd") continue;
    const bool known = (key == "network" && takes_network) ||
                       ((key == "path" || key == "count") && capture) ||
                       (key == "tap" && *command == Command::join);
    if (!known)
      return error(Error::invalid_argument,
                   "unknown key \"" + key.substr(0, 64) + "\" for " + std::string(name(*command)));
  }
  if (takes_network) {
    const auto net = j.find("network");
    if (net == j.end() || !net->is_string())
      return error(Error::invalid_argument, "\"network\" (16 hex digits) is missing");
    auto id = NetworkId::parse(net->get_ref<const std::string&>());
    if (!id)
      return error(Error::invalid_argument, "\"network\" is not a network id (16 hex digits)");
    request.network = *id;
  }
  if (const auto tap = j.find("tap"); tap != j.end()) {
    if (!tap->is_string())
      return error(Error::invalid_argument, "\"tap\" must be a device name (a string)");
    std::string device = tap->get<std::string>();
    if (device.empty()) device = kDefaultTapName;
    if (!osdep::LinuxTap::valid_name(device))
      return error(Error::invalid_argument,
                   "\"tap\" is not a device name: 1 to 15 characters, no '/', ':' or "
                   "whitespace, at most one \"%d\"");
    request.tap = std::move(device);
  }
  if (capture) {
    const auto path = j.find("path");
    if (path == j.end() || !path->is_string())
      return error(Error::invalid_argument, "\"path\" (the capture file) is missing");
    request.path = path->get<std::string>();
    if (request.path.empty() || request.path.front() != '/')
      return error(Error::invalid_argument, "\"path\" must be absolute");
    if (request.path.size() > kMaxCapturePath || request.path.find('\0') != std::string::npos)
      return error(Error::invalid_argument, "\"path\" is too long or holds a NUL");
    if (const auto count = j.find("count"); count != j.end()) {
      if (!count->is_number_unsigned())
        return error(Error::invalid_argument, "\"count\" must be a non-negative integer");
      request.count = count->get<std::uint64_t>();
    }
  }
  return request;
}

}  // namespace weft::service
