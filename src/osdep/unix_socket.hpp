#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::osdep {

// A listening Unix stream socket at `path`, non-blocking, that only its
// owner may connect to: bound under umask 0177 (no window in which the socket
// exists with wider permissions), then checked to be mode 0600. A socket
// file already at `path` is replaced — the caller must know no live server
// uses it (weftd holds its state directory's lock); anything else there is
// Error::already_exists. Error::too_large for a path longer than sun_path.
Result<UniqueFd> listen_unix(const std::string& path, int backlog = 64);

// A blocking connection to the Unix stream socket at `path`:
// Error::not_found (no socket file), Error::connection_refused (a file with
// nobody listening), Error::permission_denied.
Result<UniqueFd> connect_unix(const std::string& path);

// The user id of the process at the other end of a connected Unix socket
// (SO_PEERCRED: the credentials it had when it connected).
Result<uid_t> peer_uid(int fd);

}  // namespace weft::osdep
