#include "intercept/daemon_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "intercept/real_calls.hpp"
#include "osdep/fd_passing.hpp"

namespace weft::intercept::daemon {

namespace {

std::string default_path() {
  if (const char* p = std::getenv("WEFT_SOCKET"); p != nullptr && *p != '\0') return p;
  std::string state;
  if (const char* s = std::getenv("WEFT_STATE"); s != nullptr && *s != '\0') {
    state = s;
  } else if (const char* x = std::getenv("XDG_STATE_HOME"); x != nullptr && *x != '\0') {
    state = std::string(x) + "/weft";
  } else if (const char* h = std::getenv("HOME"); h != nullptr) {
    state = std::string(h) + "/.local/state/weft";
  }
  return state + "/intercept.sock";
}

void hint_once(int err) {
  static std::atomic<bool> told{false};
  if (told.exchange(true)) return;
  std::fprintf(stderr,
               "weft: cannot reach weftd at %s (%s): virtual sockets fail until it runs "
               "(start it with: weftd --state DIR)\n",
               socket_path().c_str(), std::strerror(err));
}

Result<osdep::UniqueFd> open_connection(bool hint = true) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  const std::string& path = socket_path();
  if (path.size() >= sizeof sun.sun_path) return Error::invalid_argument;
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  osdep::UniqueFd fd(real::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return Error::no_buffer;
  if (real::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) != 0) {
    if (hint) hint_once(errno);
    return Error::connection_refused;
  }
  return fd;
}

// One message: the reply (plus what follows it) and at most one fd.
Result<std::size_t> receive(int connection, std::span<std::byte> buf, osdep::UniqueFd& fd) {
  auto in = osdep::receive_with_fd(connection, buf, MSG_CMSG_CLOEXEC);
  if (!in || in->size == 0) {
    if (in) hint_once(ECONNRESET);
    return Error::connection_refused;  // the daemon went away mid-request
  }
  fd = std::move(in->fd);
  if (in->truncated) return Error::malformed;
  return in->size;
}

Result<Answer> parse_answer(std::span<const std::byte> buf, osdep::UniqueFd fd) {
  auto reply = wire::InterceptReply::parse(buf);
  if (!reply) return Error::malformed;
  return Answer{*reply, std::move(fd)};
}

}  // namespace

const std::string& socket_path() {
  static const std::string path = default_path();
  return path;
}

Result<Answer> call(const wire::InterceptRequest& request, int fd, osdep::UniqueFd* keep) {
  auto connection = open_connection();
  if (!connection) return connection.error();
  std::array<std::byte, wire::InterceptRequest::kSize> out{};
  request.emit(out);
  if (!osdep::send_with_fd(connection->get(), out, fd, 0)) return Error::connection_refused;
  std::array<std::byte, wire::InterceptReply::kSize + 1> in{};
  osdep::UniqueFd passed;
  auto n = receive(connection->get(), in, passed);
  if (!n) return n.error();
  auto answer = parse_answer(std::span<const std::byte>(in.data(), *n), std::move(passed));
  if (answer && keep != nullptr) *keep = std::move(*connection);
  return answer;
}

Result<Answer> second_reply(int connection) {
  std::array<std::byte, wire::InterceptReply::kSize + 1> in{};
  osdep::UniqueFd passed;
  auto n = receive(connection, in, passed);
  if (!n) return n.error();
  return parse_answer(std::span<const std::byte>(in.data(), *n), std::move(passed));
}

Result<std::vector<wire::VirtualPrefix>> info() {
  auto connection = open_connection();
  if (!connection) return connection.error();
  wire::InterceptRequest request;
  request.op = wire::InterceptOp::info;
  std::array<std::byte, wire::InterceptRequest::kSize> out{};
  request.emit(out);
  if (real::send(connection->get(), out.data(), out.size(), MSG_NOSIGNAL) < 0)
    return Error::connection_refused;
  Bytes in(wire::InterceptReply::kSize +
           wire::VirtualPrefix::kMaxCount * wire::VirtualPrefix::kSize + 1);
  osdep::UniqueFd passed;
  auto n = receive(connection->get(), in, passed);
  if (!n) return n.error();
  if (*n < wire::InterceptReply::kSize) return Error::malformed;
  auto reply = wire::InterceptReply::parse(ByteSpan(in).first(wire::InterceptReply::kSize));
  if (!reply || reply->value < 0) return Error::malformed;
  return wire::parse_prefixes(
      ByteSpan(in).subspan(wire::InterceptReply::kSize, *n - wire::InterceptReply::kSize),
      static_cast<std::size_t>(reply->value));
}

Result<wire::ResolveAnswer> resolve(std::string_view name) {
  if (name.size() > wire::ResolveName::kMaxName) return Error::too_large;
  auto connection = open_connection(false);
  if (!connection) return connection.error();
  const timeval timeout{kResolveTimeoutSeconds, 0};
  (void)real::setsockopt(connection->get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  wire::InterceptRequest request;
  request.op = wire::InterceptOp::resolve;
  std::array<std::byte, wire::InterceptRequest::kSize + wire::ResolveName::kMaxName> out{};
  request.emit(out);
  std::memcpy(out.data() + wire::InterceptRequest::kSize, name.data(), name.size());
  if (real::send(connection->get(), out.data(), wire::InterceptRequest::kSize + name.size(),
                 MSG_NOSIGNAL) < 0)
    return Error::connection_refused;
  std::array<std::byte, wire::ResolveAnswer::kMaxSize + 1> in{};
  const ssize_t n = real::recv(connection->get(), in.data(), in.size(), 0);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? Error::timed_out : Error::io;
  if (n == 0) return Error::connection_refused;  // the daemon went away meanwhile
  return wire::ResolveAnswer::parse(std::span<const std::byte>(in.data(), static_cast<std::size_t>(n)));
}

}  // namespace weft::intercept::daemon
