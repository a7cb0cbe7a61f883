#include "service/control_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <variant>

#include "base/log.hpp"
#include "osdep/errno_error.hpp"
#include "osdep/unix_socket.hpp"

namespace weft::service {

namespace {

constexpr std::uint64_t kListenerToken = 0;
// The handler's fds count down from here (below the poller's own wake token);
// connections count up from 1.
constexpr std::uint64_t kWatchedToken = UINT64_MAX - 1;
constexpr std::string_view kLog = "control";

nlohmann::json error_reply(Error code, std::string_view message) {
  return {{"ok", false}, {"error", message}, {"errno", name(code)}};
}

std::string line_of(const nlohmann::json& j) {
  // replace: a message quoting a cut multi-byte character must not throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::start(ControlServerOptions options,
                                                            ControlHandler& handler) {
  auto listener = osdep::listen_unix(options.path);
  if (!listener) return listener.error();
  auto poller = osdep::Poller::create();
  if (!poller) return poller.error();
  WEFT_TRY(poller->add(listener->get(), kListenerToken));
  const std::vector<int> watched = handler.watched_fds();
  for (std::size_t i = 0; i < watched.size(); ++i)
    WEFT_TRY(poller->add(watched[i], kWatchedToken - i));
  std::unique_ptr<ControlServer> self(
      new ControlServer(std::move(options), handler, std::move(*listener), std::move(*poller)));
  self->watched_ = watched;
  self->thread_ = std::thread([s = self.get()] { s->run(); });
  return self;
}

ControlServer::ControlServer(ControlServerOptions options, ControlHandler& handler,
                             osdep::UniqueFd listener, osdep::Poller poller) noexcept
    : options_(std::move(options)),
      handler_(handler),
      listener_(std::move(listener)),
      poller_(std::move(poller)) {}

ControlServer::~ControlServer() { stop(); }

void ControlServer::stop() noexcept {
  if (stopped_) return;
  stopped_ = true;
  poller_.wake();
  if (thread_.joinable()) thread_.join();
  for (const auto& [token, _] : connections_) handler_.on_closed(token);
  connections_.clear();
  listener_.reset();
  ::unlink(options_.path.c_str());
}

void ControlServer::run() noexcept {
  std::array<std::uint64_t, 32> tokens{};
  while (true) {
    auto ready = poller_.wait(tokens);
    if (!ready) {
      log::error(kLog, "wait: {}; the control API stops", message(ready.error()));
      return;
    }
    if (ready->woken) return;  // only stop() wakes this poller
    for (std::size_t i = 0; i < ready->count; ++i) {
      if (tokens[i] == kListenerToken) {
        accept_all();
      } else if (tokens[i] > kWatchedToken - watched_.size() && tokens[i] <= kWatchedToken) {
        for (const auto& p : handler_.on_watched_fd(watched_[kWatchedToken - tokens[i]]))
          push(p.to, p.line);
      } else {
        serve(tokens[i]);
      }
    }
  }
}

void ControlServer::accept_all() {
  while (true) {
    osdep::UniqueFd fd{::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)};
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Level-triggered: the pending connection would wake us at once, forever.
        log::warn(kLog, "accept: {}; not accepting until a connection closes",
                  message(osdep::from_errno(errno)));
        if (poller_.remove(listener_.get())) listener_paused_ = true;
      } else if (errno != EAGAIN) {
        log::warn(kLog, "accept: {}", message(osdep::from_errno(errno)));
      }
      return;
    }
    const auto uid = osdep::peer_uid(fd.get());
    if (!uid || *uid != ::geteuid()) {
      // Closed unanswered: another user learns nothing from this socket.
      log::warn(kLog, "refused a connection from uid {}", uid ? static_cast<long>(*uid) : -1L);
      continue;
    }
    if (connections_.size() >= options_.max_connections) {
      log::warn(kLog, "refused a connection: {} already open", connections_.size());
      const std::string line = line_of(error_reply(Error::busy, "too many control connections"));
      [[maybe_unused]] const ssize_t n =
          ::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      continue;
    }
    const std::uint64_t token = next_token_++;
    if (auto r = poller_.add(fd.get(), token); !r) {
      log::warn(kLog, "connection not watched: {}", message(r.error()));
      continue;
    }
    Connection c;
    c.fd = std::move(fd);
    c.token = token;
    connections_.emplace(token, std::move(c));
  }
}

void ControlServer::serve(std::uint64_t token) {
  const auto it = connections_.find(token);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  if (!c.writing) read_input(c);
  // Replies go out as far as the socket takes them; the rest when it has room,
  // and no more input is read meanwhile (a client must read its replies).
  while (true) {
    if (!flush(c)) return close(token);
    if (!c.out.empty()) {
      if (!c.writing && !poller_.want_write(c.fd.get(), token, true)) return close(token);
      c.writing = true;
      return;
    }
    if (c.closing) return close(token);
    if (c.writing) {
      if (!poller_.want_write(c.fd.get(), token, false)) return close(token);
      c.writing = false;
      // Lines that arrived while the replies were waiting.
      process_lines(c);
      continue;
    }
    return;
  }
}

void ControlServer::read_input(Connection& c) {
  std::array<char, 16384> buf;
  while (!c.closing && c.out.empty()) {
    const ssize_t n = ::recv(c.fd.get(), buf.data(), buf.size(), 0);
    if (n > 0) {
      c.in.append(buf.data(), static_cast<std::size_t>(n));
      process_lines(c);
    } else if (n == 0) {
      c.closing = true;  // answers to what came before the end still go out
    } else if (errno != EINTR) {
      if (errno != EAGAIN) {
        c.closing = true;
        c.out.clear();
      }
      return;
    }
  }
}

void ControlServer::process_lines(Connection& c) {
  while (!c.closing) {
    const auto nl = c.in.find('\n');
    if (nl == std::string::npos ? c.in.size() > kMaxControlLine : nl > kMaxControlLine) {
      reply(c, error_reply(Error::too_large, "request longer than 65536 bytes"));
      c.closing = true;
      c.in.clear();
      return;
    }
    if (nl == std::string::npos) return;
    std::string_view line(c.in.data(), nl);
    if (line.ends_with('\r')) line.remove_suffix(1);
    auto parsed = parse_control_request(line);
    c.in.erase(0, nl + 1);
    if (auto* e = std::get_if<ControlError>(&parsed)) {
      reply(c, error_reply(e->code, e->message));
      // Not JSON at all: the client is not speaking this protocol.
      if (e->code == Error::malformed || e->code == Error::too_large) {
        c.closing = true;
        c.in.clear();
      }
      continue;
    }
    try {
      reply(c, handler_.handle(std::get<ControlRequest>(parsed), c.token));
    } catch (const std::exception& e) {
      log::error(kLog, "request failed: {}", e.what());
      reply(c, error_reply(Error::internal, "internal error"));
    }
    if (c.out.size() > options_.max_output) {
      log::warn(kLog, "disconnected a client that does not read its replies");
      c.closing = true;
      c.out.clear();
      c.in.clear();
    }
  }
}

void ControlServer::reply(Connection& c, const nlohmann::json& j) { c.out += line_of(j); }

void ControlServer::push(std::uint64_t token, const nlohmann::json& j) {
  const auto it = connections_.find(token);
  if (it == connections_.end() || it->second.closing) return;
  Connection& c = it->second;
  reply(c, j);
  if (c.writing) return;  // serve() sends it with the rest when there is room
  if (!flush(c)) return close(token);
  if (c.out.empty()) return;
  if (!poller_.want_write(c.fd.get(), token, true)) return close(token);
  c.writing = true;
}

bool ControlServer::flush(Connection& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out.erase(0, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return n < 0 && errno == EAGAIN;
    }
  }
  return true;
}

void ControlServer::close(std::uint64_t token) {
  const auto it = connections_.find(token);
  if (it == connections_.end()) return;
  (void)poller_.remove(it->second.fd.get());
  connections_.erase(it);
  handler_.on_closed(token);
  if (listener_paused_ && poller_.add(listener_.get(), kListenerToken)) listener_paused_ = false;
}

}  // namespace weft::service
