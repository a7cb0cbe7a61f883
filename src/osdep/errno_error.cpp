#include "osdep/errno_error.hpp"

#include <cerrno>

namespace weft::osdep {

Error from_errno(int err) noexcept {
  switch (err) {
    case ENOENT: return Error::not_found;
    case EACCES:
    case EPERM: return Error::permission_denied;
    case EEXIST: return Error::already_exists;
    case EINVAL: return Error::invalid_argument;
    case EAGAIN: return Error::would_block;
    case EINPROGRESS: return Error::in_progress;
    case ETIMEDOUT: return Error::timed_out;
    case ECONNREFUSED: return Error::connection_refused;
    case ECONNRESET: return Error::connection_reset;
    case ECONNABORTED: return Error::connection_aborted;
    case ENOTCONN: return Error::not_connected;
    case EISCONN: return Error::already_connected;
    case EADDRINUSE: return Error::address_in_use;
    case EADDRNOTAVAIL: return Error::address_not_available;
    case ENETUNREACH: return Error::network_unreachable;
    case EHOSTUNREACH: return Error::host_unreachable;
    case ENOBUFS:
    case ENOMEM: return Error::no_buffer;
    case EMSGSIZE:
    case EFBIG: return Error::too_large;
    case EBADF: return Error::bad_handle;
    case EBUSY: return Error::busy;
    case EOPNOTSUPP: return Error::unsupported;
    default: return Error::io;
  }
}

}  // namespace weft::osdep
