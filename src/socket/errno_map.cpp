#include "socket/errno_map.hpp"

#include <cerrno>

namespace weft::socket {

int to_errno(Error e) noexcept {
  switch (e) {
    case Error::invalid_argument:
    case Error::malformed:
    case Error::truncated:
    case Error::invalid_state: return EINVAL;
    case Error::too_large: return EMSGSIZE;
    case Error::not_found: return ENOENT;
    case Error::already_exists: return EEXIST;
    case Error::permission_denied:
    case Error::not_authorized:
    case Error::insecure_permissions: return EACCES;
    case Error::timed_out:
    case Error::expired: return ETIMEDOUT;
    case Error::would_block:
    case Error::rate_limited: return EAGAIN;
    case Error::in_progress: return EINPROGRESS;
    case Error::connection_refused: return ECONNREFUSED;
    case Error::connection_reset: return ECONNRESET;
    case Error::connection_aborted: return ECONNABORTED;
    case Error::not_connected: return ENOTCONN;
    case Error::already_connected: return EISCONN;
    case Error::address_in_use: return EADDRINUSE;
    case Error::address_not_available: return EADDRNOTAVAIL;
    case Error::network_unreachable: return ENETUNREACH;
    case Error::host_unreachable: return EHOSTUNREACH;
    case Error::closed: return EPIPE;
    case Error::no_buffer: return ENOBUFS;
    case Error::bad_handle: return EBADF;
    case Error::busy: return EBUSY;
    case Error::unsupported: return EOPNOTSUPP;
    case Error::family_not_supported: return EAFNOSUPPORT;
    case Error::destination_required: return EDESTADDRREQ;
    case Error::already_in_progress: return EALREADY;
    case Error::unsupported_version:
    case Error::verification_failed:
    case Error::replayed:
    case Error::revoked:
    case Error::io:
    case Error::internal: return EIO;
  }
  return EIO;
}

}  // namespace weft::socket
