#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "osdep/unique_fd.hpp"
#include "wire/intercept_message.hpp"

namespace weft::intercept {

// What the daemon answered: the reply and the fd it passed, if any.
struct Answer {
  wire::InterceptReply reply;
  osdep::UniqueFd fd;
};

// The preload's side of the intercept protocol (docs/intercept.md): one
// SOCK_SEQPACKET connection per request to weftd's intercept socket, so
// threads, fork and exec need no shared session. The socket's path is
// $WEFT_SOCKET, else the default state directory's intercept.sock.
namespace daemon {

[[nodiscard]] const std::string& socket_path();

// Sends `request` (with `fd` if >= 0) and waits for the reply. With `keep`,
// the connection stays open in *keep for a second reply (non-blocking connect).
// Error::connection_refused when no daemon answers (and a one-line hint goes to
// stderr, once per process); Error::malformed when the reply does not parse.
Result<Answer> call(const wire::InterceptRequest& request, int fd = -1,
                    osdep::UniqueFd* keep = nullptr);

// The second reply on a kept connection (blocks until it comes).
Result<Answer> second_reply(int connection);

// The virtual prefixes of the daemon's networks.
Result<std::vector<wire::VirtualPrefix>> info();

// What the daemon makes of a host name. Quiet (no hint) when no daemon
// answers: the caller falls back to the system's resolver. Waits at most
// kResolveTimeout (the daemon's own deadline is shorter).
inline constexpr int kResolveTimeoutSeconds = 5;
Result<wire::ResolveAnswer> resolve(std::string_view name);

}  // namespace daemon
}  // namespace weft::intercept
