#include "base/error.hpp"

namespace weft {

namespace {

struct Description {
  std::string_view name;
  std::string_view message;
};

constexpr Description describe(Error e) noexcept {
  switch (e) {
    case Error::invalid_argument: return {"invalid_argument", "invalid argument"};
    case Error::malformed: return {"malformed", "malformed input"};
    case Error::truncated: return {"truncated", "input is truncated"};
    case Error::too_large: return {"too_large", "input or request too large"};
    case Error::unsupported_version: return {"unsupported_version", "unsupported version"};
    case Error::verification_failed: return {"verification_failed", "verification failed"};
    case Error::replayed: return {"replayed", "replayed message"};
    case Error::rate_limited: return {"rate_limited", "rate limited"};
    case Error::not_found: return {"not_found", "not found"};
    case Error::already_exists: return {"already_exists", "already exists"};
    case Error::permission_denied: return {"permission_denied", "permission denied"};
    case Error::insecure_permissions:
      return {"insecure_permissions", "secret is readable by group or others"};
    case Error::io: return {"io", "input/output error"};
    case Error::timed_out: return {"timed_out", "timed out"};
    case Error::would_block: return {"would_block", "operation would block"};
    case Error::in_progress: return {"in_progress", "operation in progress"};
    case Error::connection_refused: return {"connection_refused", "connection refused"};
    case Error::connection_reset: return {"connection_reset", "connection reset by peer"};
    case Error::connection_aborted: return {"connection_aborted", "connection aborted"};
    case Error::not_connected: return {"not_connected", "not connected"};
    case Error::already_connected: return {"already_connected", "already connected"};
    case Error::address_in_use: return {"address_in_use", "address in use"};
    case Error::address_not_available: return {"address_not_available", "address not available"};
    case Error::network_unreachable: return {"network_unreachable", "network unreachable"};
    case Error::host_unreachable: return {"host_unreachable", "host unreachable"};
    case Error::closed: return {"closed", "closed"};
    case Error::no_buffer: return {"no_buffer", "no buffer space available"};
    case Error::bad_handle: return {"bad_handle", "bad handle"};
    case Error::invalid_state: return {"invalid_state", "operation not valid in this state"};
    case Error::busy: return {"busy", "resource busy"};
    case Error::expired: return {"expired", "expired"};
    case Error::revoked: return {"revoked", "revoked"};
    case Error::not_authorized: return {"not_authorized", "not authorized"};
    case Error::unsupported: return {"unsupported", "not supported"};
    case Error::family_not_supported:
      return {"family_not_supported", "address family not supported by the socket"};
    case Error::destination_required: return {"destination_required", "destination address required"};
    case Error::already_in_progress: return {"already_in_progress", "operation already in progress"};
    case Error::internal: return {"internal", "internal error"};
  }
  return {"unknown", "unknown error"};
}

}  // namespace

std::string_view message(Error e) noexcept { return describe(e).message; }
std::string_view name(Error e) noexcept { return describe(e).name; }

}  // namespace weft
