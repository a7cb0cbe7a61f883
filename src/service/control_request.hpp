#pragma once

// One request of weftd's control API (docs/operations.md, "Control API"): a
// line of JSON, a flat object such as {"cmd":"join","network":"8056c2e21c000001"}.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/error.hpp"
#include "base/network_id.hpp"

namespace weft::service {

struct ControlRequest {
  enum class Command : std::uint8_t {
    status,
    peers,
    networks,
    join,
    leave,
    stats,
    capture,
    capture_stop
  };
  Command command{Command::status};
  std::optional<NetworkId> network;  // join, leave and capture
  std::string path;                  // capture: absolute, at most kMaxCapturePath bytes
  std::uint64_t count{0};            // capture: frames to record (0: until stopped)
  // join: a kernel TAP device of this name instead of the daemon's own stack
  // ("tap": "" asks for the default name, "weft%d").
  std::optional<std::string> tap;
};

inline constexpr std::string_view kDefaultTapName = "weft%d";

inline constexpr std::size_t kMaxCapturePath = 4096;

// Why a request was refused, as the reply tells it.
struct ControlError {
  Error code{Error::malformed};
  std::string message;
};

// A line at most this long (without its '\n') is read; a longer one is an
// error and ends the connection.
inline constexpr std::size_t kMaxControlLine = 64 * 1024;

// Parses one line (without the '\n'). Anything but a flat JSON object with a
// known "cmd" and exactly the keys that command takes is a ControlError whose
// message names what is wrong. Never throws; bounded by the line's length.
std::variant<ControlRequest, ControlError> parse_control_request(std::string_view line);

[[nodiscard]] std::string_view name(ControlRequest::Command command) noexcept;

}  // namespace weft::service
