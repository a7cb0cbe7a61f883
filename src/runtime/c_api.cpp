// The public C API (include/weft/weft.h) over the process's SocketTable.

#include <arpa/inet.h>

#include <cerrno>
#include <climits>
#include <memory>
#include <mutex>

#include "runtime/api_error.hpp"
#include "runtime/dev_node.hpp"
#include "runtime/sockets.hpp"
#include "socket/errno_map.hpp"
#include "weft/weft.h"

namespace {

int fail(weft::Error e) { return weft::runtime::api::fail(weft::socket::to_errno(e), e); }

int status(const weft::Result<void>& r) { return r ? 0 : fail(r.error()); }
int value(const weft::Result<int>& r) { return r ? *r : fail(r.error()); }
ssize_t count(const weft::Result<std::size_t>& r) {
  return r ? static_cast<ssize_t>(*r) : static_cast<ssize_t>(fail(r.error()));
}

weft::socket::SocketTable& table() { return weft::runtime::sockets(); }

// A null buffer is allowed only with length 0.
bool bad_buffer(const void* buf, size_t len) { return buf == nullptr && len != 0; }

weft::Result<weft::stack::IpAddress> parse_ip(const char* text, int family) {
  weft::stack::IpAddress a;
  if (family == AF_INET) {
    a.family = weft::stack::Family::v4;
    if (inet_pton(AF_INET, text, a.bytes.data()) != 1) return weft::Error::invalid_argument;
  } else {
    a.family = weft::stack::Family::v6;
    if (inet_pton(AF_INET6, text, a.bytes.data()) != 1) return weft::Error::invalid_argument;
  }
  return a;
}

std::mutex g_dev_mu;
std::unique_ptr<weft::runtime::DevNode> g_dev;  // guarded by g_dev_mu; lives until exit

}  // namespace

extern "C" {

int* weft_errno_location(void) { return weft::runtime::api::errno_location(); }

const char* weft_last_error(void) { return weft::runtime::api::last_error_text(); }

int weft_socket(int domain, int type, int protocol) { return value(table().open(domain, type, protocol)); }

int weft_bind(int fd, const struct sockaddr* addr, socklen_t len) { return status(table().bind(fd, addr, len)); }

int weft_listen(int fd, int backlog) { return status(table().listen(fd, backlog)); }

int weft_accept(int fd, struct sockaddr* addr, socklen_t* len) { return value(table().accept(fd, addr, len)); }

int weft_accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
  if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0) return fail(weft::Error::invalid_argument);
  return value(table().accept(fd, addr, len, flags));
}

int weft_connect(int fd, const struct sockaddr* addr, socklen_t len) {
  return status(table().connect(fd, addr, len));
}

int weft_connect_timeout(int fd, const struct sockaddr* addr, socklen_t len, int timeout_ms) {
  if (timeout_ms < 0) return fail(weft::Error::invalid_argument);
  return status(table().connect(fd, addr, len, std::chrono::milliseconds(timeout_ms)));
}

ssize_t weft_send(int fd, const void* buf, size_t len, int flags) {
  if (bad_buffer(buf, len)) return fail(weft::Error::invalid_argument);
  return count(table().send(fd, weft::as_bytes(buf, len), flags));
}

ssize_t weft_recv(int fd, void* buf, size_t len, int flags) {
  if (bad_buffer(buf, len)) return fail(weft::Error::invalid_argument);
  return count(table().recv(fd, weft::as_writable_bytes(buf, len), flags));
}

ssize_t weft_sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* addr,
                    socklen_t addrlen) {
  if (bad_buffer(buf, len)) return fail(weft::Error::invalid_argument);
  return count(table().sendto(fd, weft::as_bytes(buf, len), flags, addr, addrlen));
}

ssize_t weft_recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* addr, socklen_t* addrlen) {
  if (bad_buffer(buf, len)) return fail(weft::Error::invalid_argument);
  return count(table().recvfrom(fd, weft::as_writable_bytes(buf, len), flags, addr, addrlen));
}

int weft_shutdown(int fd, int how) { return status(table().shutdown(fd, how)); }
int weft_close(int fd) { return status(table().close(fd)); }

int weft_setsockopt(int fd, int level, int name, const void* v, socklen_t len) {
  return status(table().setsockopt(fd, level, name, v, len));
}
int weft_getsockopt(int fd, int level, int name, void* v, socklen_t* len) {
  return status(table().getsockopt(fd, level, name, v, len));
}
int weft_getsockname(int fd, struct sockaddr* addr, socklen_t* len) {
  return status(table().getsockname(fd, addr, len));
}
int weft_getpeername(int fd, struct sockaddr* addr, socklen_t* len) {
  return status(table().getpeername(fd, addr, len));
}
int weft_set_nonblocking(int fd, int on) { return status(table().set_nonblocking(fd, on != 0)); }

int weft_poll(struct pollfd* fds, nfds_t n, int timeout_ms) {
  return value(table().poll(fds, static_cast<std::size_t>(n), timeout_ms));
}

int weft_export_fd(int fd) { return value(table().export_fd(fd)); }

int weft_dev_start(const struct weft_dev_config* c) {
  if (c == nullptr || c->mac == nullptr || c->bind == nullptr || c->peer == nullptr)
    return fail(weft::Error::invalid_argument);
  weft::runtime::DevNodeConfig cfg;
  auto mac = weft::Mac::parse(c->mac);
  if (!mac) return fail(mac.error());
  cfg.mac = *mac;
  cfg.mtu = c->mtu == 0 ? 1500 : c->mtu;
  if (c->ipv4 != nullptr) {
    auto a = parse_ip(c->ipv4, AF_INET);
    if (!a) return fail(a.error());
    cfg.ipv4 = *a;
    cfg.ipv4_prefix = c->ipv4_prefix;
  }
  if (c->ipv6 != nullptr) {
    auto a = parse_ip(c->ipv6, AF_INET6);
    if (!a) return fail(a.error());
    cfg.ipv6 = *a;
  }
  auto bind = weft::osdep::Endpoint::parse(c->bind);
  if (!bind) return fail(bind.error());
  auto peer = weft::osdep::Endpoint::parse(c->peer);
  if (!peer) return fail(peer.error());
  cfg.bind = *bind;
  std::lock_guard lock(g_dev_mu);
  if (g_dev) return fail(weft::Error::already_exists);
  auto node = weft::runtime::DevNode::open(cfg);
  if (!node) return fail(node.error());
  if (auto r = (*node)->start(*peer); !r) return fail(r.error());
  g_dev = std::move(node).value();
  return 0;
}

}  // extern "C"
