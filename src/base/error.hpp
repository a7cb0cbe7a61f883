#pragma once

#include <cstdint>
#include <string_view>

namespace weft {

// The closed set of failures any Weft layer reports. Mapped to errno only at
// the socket boundary (socket/), to std::error_code only in the public C++ API.
enum class Error : std::uint8_t {
  invalid_argument = 1,
  malformed,  // bytes or text that do not parse
  truncated,  // input ends before the format says it should
  too_large,  // input or request over a documented bound
  unsupported_version,
  verification_failed,  // a signature, MAC, proof of work or key check failed
  replayed,
  rate_limited,
  not_found,
  already_exists,
  permission_denied,
  insecure_permissions,  // a secret readable by group or others
  io,
  timed_out,
  would_block,
  in_progress,
  connection_refused,
  connection_reset,
  connection_aborted,
  not_connected,
  already_connected,
  address_in_use,
  address_not_available,
  network_unreachable,
  host_unreachable,
  closed,
  no_buffer,
  bad_handle,
  invalid_state,
  busy,
  expired,
  revoked,
  not_authorized,
  unsupported,
  family_not_supported,  // an address of the other IP family than the socket's
  destination_required,  // a datagram with no address on an unconnected socket
  already_in_progress,   // the same operation is already running (a second connect)
  internal,
};

// A short English description, stable enough for logs and one-line CLI errors.
std::string_view message(Error e) noexcept;

// The enumerator's name ("connection_refused"), for logs and JSON.
std::string_view name(Error e) noexcept;

}  // namespace weft
