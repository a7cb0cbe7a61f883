// libweft-preload.so: the C library's socket calls, interposed (LD_PRELOAD) so
// that sockets to virtual addresses become virtual sockets served by weftd
// (docs/intercept.md). Everything else goes to the C library untouched.
//
// A virtual socket is an ordinary fd in the program (an AF_UNIX socketpair
// end the daemon passed us, put in place of the program's kernel socket with
// dup3), so poll/select/epoll, read/write on streams, fork and exec need no
// help. What the interposers below add is what the kernel cannot know: the
// virtual addresses (bind, connect, getsockname, getpeername, accept), the
// socket's identity (SO_TYPE, SO_DOMAIN, SO_ERROR...), TCP options, and the
// address in front of every datagram.

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "intercept/daemon_client.hpp"
#include "intercept/fd_registry.hpp"
#include "intercept/host_names.hpp"
#include "intercept/real_calls.hpp"
#include "intercept/routes.hpp"
#include "osdep/fd_passing.hpp"

#define WEFT_EXPORT extern "C" __attribute__((visibility("default")))

namespace weft::intercept {
namespace {

using wire::InterceptOp;
using wire::InterceptRequest;
using wire::SocketAddress;
using wire::SocketType;
using Kind = VirtualSocket::Kind;

constexpr std::size_t kMaxDatagram = 65'507;  // what IPv4 UDP can carry
constexpr std::size_t kMaxIov = 1024;         // IOV_MAX

int fail(int err) {
  errno = err;
  return -1;
}

// An IPv4 or IPv6 stream or datagram socket of the kernel's.
struct InetSocket {
  bool ipv6{false};
  SocketType type{SocketType::stream};
};

std::optional<InetSocket> inet_socket(int fd) {
  int domain = 0;
  int type = 0;
  socklen_t len = sizeof domain;
  if (real::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return std::nullopt;
  if (domain != AF_INET && domain != AF_INET6) return std::nullopt;
  len = sizeof type;
  if (real::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return std::nullopt;
  if (type != SOCK_STREAM && type != SOCK_DGRAM) return std::nullopt;
  return InetSocket{domain == AF_INET6,
                    type == SOCK_STREAM ? SocketType::stream : SocketType::datagram};
}

// sockaddr -> SocketAddress; an IPv4-mapped IPv6 address becomes IPv4 (the
// daemon's sockets are single-family).
std::optional<SocketAddress> to_wire(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return std::nullopt;
  SocketAddress a;
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    std::memcpy(a.bytes.data(), &in.sin_addr, 4);
    a.port = ntohs(in.sin_port);
    return a;
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    a.port = ntohs(in6.sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      std::memcpy(a.bytes.data(), in6.sin6_addr.s6_addr + 12, 4);
    } else {
      a.ipv6 = true;
      std::memcpy(a.bytes.data(), in6.sin6_addr.s6_addr, 16);
    }
    return a;
  }
  return std::nullopt;
}

// SocketAddress -> the program's family (IPv4 as IPv4-mapped on an IPv6
// socket), truncated to *len as the kernel does; *len gets the full size.
void from_wire(const std::optional<SocketAddress>& a, bool app_ipv6, sockaddr* sa, socklen_t* len) {
  if (sa == nullptr || len == nullptr) return;
  sockaddr_storage ss{};
  socklen_t size = 0;
  const SocketAddress any{};
  const SocketAddress& x = a ? *a : any;
  if (app_ipv6) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(x.port);
    if (x.ipv6) {
      std::memcpy(in6.sin6_addr.s6_addr, x.bytes.data(), 16);
    } else if (a) {
      in6.sin6_addr.s6_addr[10] = 0xff;
      in6.sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(in6.sin6_addr.s6_addr + 12, x.bytes.data(), 4);
    }
    std::memcpy(&ss, &in6, sizeof in6);
    size = sizeof in6;
  } else {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(x.port);
    std::memcpy(&in.sin_addr, x.bytes.data(), 4);
    std::memcpy(&ss, &in, sizeof in);
    size = sizeof in;
  }
  std::memcpy(sa, &ss, std::min(*len, size));
  *len = size;
}

bool is_loopback(const SocketAddress& a) {
  if (!a.ipv6) return a.bytes[0] == std::byte{127};
  return std::all_of(a.bytes.begin(), a.bytes.begin() + 15,
                     [](std::byte b) { return b == std::byte{0}; }) &&
         a.bytes[15] == std::byte{1};
}

bool is_any(const SocketAddress& a) {
  return std::all_of(a.bytes.begin(), a.bytes.begin() + (a.ipv6 ? 16 : 4),
                     [](std::byte b) { return b == std::byte{0}; });
}

bool is_virtual(const SocketAddress& a) {
  if (is_loopback(a) || is_any(a)) return false;
  return Routes::instance().is_virtual(a.ipv6, a.bytes);
}

// Where bind(2) to the wildcard address listens: the virtual networks
// (default), the kernel (WEFT_WILDCARD=kernel), or, for TCP, both
// (WEFT_WILDCARD=both). docs/intercept.md.
enum class Wildcard : std::uint8_t { virtual_networks, kernel, both };
Wildcard wildcard_mode() {
  static const Wildcard w = [] {
    const char* e = std::getenv("WEFT_WILDCARD");
    const std::string_view v = e == nullptr ? "" : e;
    if (v == "kernel") return Wildcard::kernel;
    if (v == "both") return Wildcard::both;
    return Wildcard::virtual_networks;
  }();
  return w;
}

// Options the program set on its kernel socket before it became virtual.
std::uint32_t kernel_options(int fd, SocketType type) {
  std::uint32_t bits = 0;
  auto on = [fd](int level, int name) {
    int v = 0;
    socklen_t len = sizeof v;
    return real::getsockopt(fd, level, name, &v, &len) == 0 && v != 0;
  };
  if (on(SOL_SOCKET, SO_REUSEADDR)) bits |= wire::kOptReuseAddr;
  if (on(SOL_SOCKET, SO_KEEPALIVE)) bits |= wire::kOptKeepAlive;
  if (type == SocketType::stream && on(IPPROTO_TCP, TCP_NODELAY)) bits |= wire::kOptNoDelay;
  // The kernel socket's answer is the program's choice or the system default
  // (net.ipv6.bindv6only); an IPv4 socket has no such option.
  if (on(IPPROTO_IPV6, IPV6_V6ONLY)) bits |= wire::kOptV6Only;
  return bits;
}

bool nonblocking(int fd) { return (real::fcntl(fd, F_GETFL, 0) & O_NONBLOCK) != 0; }

// Puts `fresh` (the daemon's fd) where the program's socket `fd` was, keeping
// the fd number, O_NONBLOCK and FD_CLOEXEC.
int replace(int fd, osdep::UniqueFd& fresh) {
  const int status = real::fcntl(fd, F_GETFL, 0);
  const int fd_flags = real::fcntl(fd, F_GETFD, 0);
  if (status < 0 || fd_flags < 0) return -1;
  if (real::dup3(fresh.get(), fd, (fd_flags & FD_CLOEXEC) != 0 ? O_CLOEXEC : 0) < 0) return -1;
  if ((status & O_NONBLOCK) != 0 && real::fcntl(fd, F_SETFL, O_NONBLOCK) < 0) return -1;
  return 0;
}

InterceptRequest request(InterceptOp op, SocketType type, bool ipv6) {
  InterceptRequest q;
  q.op = op;
  q.type = type;
  q.ipv6 = ipv6;
  return q;
}

int error_of(Error e) {
  switch (e) {
    case Error::connection_refused: return ECONNREFUSED;
    case Error::malformed: return EPROTO;
    case Error::no_buffer: return ENOBUFS;
    default: return EIO;
  }
}

// Turns the program's kernel socket into a bound virtual one. With
// `also_kernel`, the kernel socket (bound to the same wildcard address and
// port) goes to the daemon, which listens on it too.
int bind_virtual(int fd, const InetSocket& k, const SocketAddress& address,
                 bool also_kernel = false) {
  auto q = request(InterceptOp::bind, k.type, k.ipv6);
  q.address = address;
  q.options = kernel_options(fd, k.type);
  if (also_kernel) q.flags |= InterceptRequest::kAlsoKernel;
  auto a = daemon::call(q, also_kernel ? fd : -1);
  if (!a) return fail(error_of(a.error()));
  if (a->reply.error != 0) return fail(a->reply.error);
  if (!a->fd || replace(fd, a->fd) != 0) return fail(EIO);
  VirtualSocket v;
  v.kind = k.type == SocketType::stream ? Kind::bound : Kind::datagram;
  v.ipv6 = k.ipv6;
  v.local = a->reply.local;
  FdRegistry::instance().set(fd, v);
  return 0;
}

// A wildcard TCP bind that listens on the kernel and the virtual networks:
// the kernel binds first (its errors are the program's, and it picks the port
// when asked for 0), then the virtual socket takes the same port.
int bind_both(int fd, const InetSocket& k, const sockaddr* addr, socklen_t len) {
  if (real::bind(fd, addr, len) != 0) return -1;
  sockaddr_storage ss{};
  socklen_t ss_len = sizeof ss;
  if (real::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &ss_len) != 0) return -1;
  auto bound = to_wire(reinterpret_cast<const sockaddr*>(&ss), ss_len);
  if (!bound) return fail(EIO);
  return bind_virtual(fd, k, *bound, true);
}

// The wildcard address of the family `for_address` needs.
SocketAddress wildcard(bool ipv6) {
  SocketAddress a;
  a.ipv6 = ipv6;
  return a;
}

// A non-blocking connect's outcome, if it has come (or `wait`). Updates the registry.
VirtualSocket settle(int fd, VirtualSocket v, bool wait) {
  if (v.pending < 0) return v;
  pollfd p{v.pending, POLLIN, 0};
  if (!wait && ::poll(&p, 1, 0) == 0) return v;
  auto a = daemon::second_reply(v.pending);
  real::close(v.pending);
  v.pending = -1;
  if (!a) {
    v.so_error = ECONNREFUSED;
  } else {
    v.so_error = a->reply.error;
    if (a->reply.error == 0) {
      v.local = a->reply.local;
      v.peer = a->reply.peer;
    }
  }
  FdRegistry::instance().set(fd, v);
  return v;
}

// An fd this process did not make virtual itself (inherited across exec) may
// still be one: an unnamed AF_UNIX socket is asked about.
std::optional<VirtualSocket> lookup(int fd) {
  if (auto v = FdRegistry::instance().get(fd)) return v;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (real::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 ||
      ss.ss_family != AF_UNIX || len != sizeof(sa_family_t))
    return std::nullopt;
  auto a = daemon::call(request(InterceptOp::query, SocketType::stream, false), fd);
  if (!a || a->reply.error != 0 || !a->reply.type) return std::nullopt;
  VirtualSocket v;
  v.ipv6 = a->reply.ipv6;
  v.local = a->reply.local;
  v.peer = a->reply.peer;
  switch (static_cast<wire::QueryKind>(a->reply.value)) {
    case wire::QueryKind::bound: v.kind = Kind::bound; break;
    case wire::QueryKind::listener: v.kind = Kind::listener; break;
    case wire::QueryKind::datagram: v.kind = Kind::datagram; break;
    case wire::QueryKind::stream: v.kind = Kind::stream; break;
    default: return std::nullopt;
  }
  FdRegistry::instance().set(fd, v);
  return v;
}

SocketType type_of(const VirtualSocket& v) {
  return v.kind == Kind::datagram ? SocketType::datagram : SocketType::stream;
}

int option_call(int fd, const VirtualSocket& v, InterceptOp op, int level, int name, int value,
                int* out) {
  auto q = request(op, type_of(v), v.ipv6);
  q.level = level;
  q.name = name;
  q.value = value;
  auto a = daemon::call(q, fd);
  if (!a) return fail(error_of(a.error()));
  if (a->reply.error != 0) return fail(a->reply.error);
  if (out != nullptr) *out = a->reply.value;
  return 0;
}

bool forwarded_option(const VirtualSocket& v, int level, int name) {
  if (level == SOL_SOCKET)
    return name == SO_REUSEADDR || name == SO_KEEPALIVE || name == SO_RCVBUF || name == SO_SNDBUF;
  if (level == IPPROTO_TCP)
    return v.kind != Kind::datagram && (name == TCP_NODELAY || name == TCP_KEEPIDLE ||
                                        name == TCP_KEEPINTVL || name == TCP_KEEPCNT);
  if (level == IPPROTO_IPV6) return v.ipv6 && name == IPV6_V6ONLY;
  return false;
}

int write_int(void* value, socklen_t* len, int v) {
  if (value == nullptr || len == nullptr || *len < sizeof(int)) return fail(EINVAL);
  std::memcpy(value, &v, sizeof v);
  *len = sizeof v;
  return 0;
}

// --- datagrams: the address travels in front of each payload --------------

ssize_t datagram_send(int fd, const VirtualSocket& v, const iovec* iov, std::size_t count,
                      int flags, const sockaddr* to, socklen_t to_len) {
  std::optional<SocketAddress> dest;
  if (to != nullptr) {
    dest = to_wire(to, to_len);
    if (!dest)
      return fail(to->sa_family == AF_INET || to->sa_family == AF_INET6 ? EINVAL : EAFNOSUPPORT);
  } else if (!v.peer) {
    return fail(EDESTADDRREQ);
  }
  if (count + 1 > kMaxIov) return fail(EMSGSIZE);
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) total += iov[i].iov_len;
  if (total > kMaxDatagram) return fail(EMSGSIZE);
  std::array<std::byte, wire::kDatagramHeaderSize> header{};
  SocketAddress::emit(dest, header);
  std::array<iovec, kMaxIov> all{};
  all[0] = iovec{header.data(), header.size()};
  std::copy_n(iov, count, all.begin() + 1);
  msghdr msg{};
  msg.msg_iov = all.data();
  msg.msg_iovlen = count + 1;
  const ssize_t n = real::sendmsg(fd, &msg, (flags & (MSG_DONTWAIT)) | MSG_NOSIGNAL);
  if (n < 0) return errno == EPIPE ? fail(ECONNREFUSED) : -1;
  return n - static_cast<ssize_t>(header.size());
}

ssize_t datagram_recv(int fd, const VirtualSocket& v, const iovec* iov, std::size_t count,
                      int flags, sockaddr* from, socklen_t* from_len, int* msg_flags) {
  if (count + 1 > kMaxIov) return fail(EMSGSIZE);
  std::array<std::byte, wire::kDatagramHeaderSize> header{};
  std::array<iovec, kMaxIov> all{};
  all[0] = iovec{header.data(), header.size()};
  std::copy_n(iov, count, all.begin() + 1);
  msghdr msg{};
  msg.msg_iov = all.data();
  msg.msg_iovlen = count + 1;
  const ssize_t n =
      real::recvmsg(fd, &msg, flags & (MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL));
  if (n < 0) return -1;
  if (n == 0) return fail(ECONNRESET);  // the daemon closed its end: it is gone
  if (static_cast<std::size_t>(n) < header.size()) return fail(EIO);
  auto source = SocketAddress::parse(header);
  if (!source) return fail(EIO);
  from_wire(*source, v.ipv6, from, from_len);
  if (msg_flags != nullptr) *msg_flags = msg.msg_flags & MSG_TRUNC;
  return n - static_cast<ssize_t>(header.size());
}

}  // namespace
}  // namespace weft::intercept

using namespace weft::intercept;  // NOLINT: the interposers below are the C ABI

// --- sockets ---------------------------------------------------------------

WEFT_EXPORT int bind(int fd, const sockaddr* addr, socklen_t len) {
  auto address = to_wire(addr, len);
  if (!address || is_loopback(*address) || FdRegistry::instance().any(fd))
    return real::bind(fd, addr, len);
  const bool any = is_any(*address);
  if (any ? wildcard_mode() == Wildcard::kernel : !is_virtual(*address))
    return real::bind(fd, addr, len);
  auto k = inet_socket(fd);
  if (!k) return real::bind(fd, addr, len);
  if (any && wildcard_mode() == Wildcard::both && k->type == SocketType::stream)
    return bind_both(fd, *k, addr, len);
  return bind_virtual(fd, *k, *address);
}

WEFT_EXPORT int listen(int fd, int backlog) {
  auto v = FdRegistry::instance().get(fd);
  if (!v) return real::listen(fd, backlog);
  if (v->kind == Kind::listener) return 0;
  if (v->kind != Kind::bound) return fail(v->kind == Kind::datagram ? EOPNOTSUPP : EINVAL);
  auto q = request(InterceptOp::listen, SocketType::stream, v->ipv6);
  q.level = backlog;
  auto a = daemon::call(q, fd);
  if (!a) return fail(error_of(a.error()));
  if (a->reply.error != 0) return fail(a->reply.error);
  v->kind = Kind::listener;
  if (a->reply.local) v->local = a->reply.local;
  FdRegistry::instance().set(fd, *v);
  return 0;
}

WEFT_EXPORT int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  auto v = FdRegistry::instance().get(fd);
  if (!v) return real::accept4(fd, addr, len, flags);
  if (v->kind != Kind::listener) return fail(EINVAL);
  std::array<std::byte, weft::wire::AcceptNotice::kSize + 1> buf{};
  auto in =
      weft::osdep::receive_with_fd(fd, buf, (flags & SOCK_CLOEXEC) != 0 ? MSG_CMSG_CLOEXEC : 0);
  if (!in) return -1;  // EAGAIN on a non-blocking listener...: errno as the kernel set it
  if (in->size == 0) return fail(EINVAL);  // the daemon closed the listener: it is gone
  weft::osdep::UniqueFd conn = std::move(in->fd);
  auto notice = weft::wire::AcceptNotice::parse(weft::ByteSpan(buf.data(), in->size));
  if (!notice || !conn || in->truncated) return fail(ECONNABORTED);
  if ((flags & SOCK_NONBLOCK) != 0 && real::fcntl(conn.get(), F_SETFL, O_NONBLOCK) != 0) return -1;
  if (inet_socket(conn.get())) {
    // A connection a "both" listener's kernel socket accepted: the kernel's own.
    if (addr != nullptr && len != nullptr && real::getpeername(conn.get(), addr, len) != 0)
      return -1;
    return conn.release();
  }
  VirtualSocket s;
  s.kind = Kind::stream;
  s.ipv6 = v->ipv6;
  s.local = notice->local;
  s.peer = notice->peer;
  from_wire(s.peer, s.ipv6, addr, len);
  const int out = conn.release();
  FdRegistry::instance().set(out, s);
  return out;
}

WEFT_EXPORT int accept(int fd, sockaddr* addr, socklen_t* len) { return accept4(fd, addr, len, 0); }

WEFT_EXPORT int connect(int fd, const sockaddr* addr, socklen_t len) {
  auto& registry = FdRegistry::instance();
  auto v = registry.get(fd);
  auto dest = to_wire(addr, len);
  if (v && v->kind == Kind::stream) {
    if (v->pending < 0) return fail(EISCONN);
    auto settled = settle(fd, *v, false);
    if (settled.pending >= 0) return fail(EALREADY);
    if (settled.so_error != 0) {
      settled.so_error = 0;
      registry.set(fd, settled);
      return fail(v->so_error != 0 ? v->so_error : ECONNREFUSED);
    }
    return fail(EISCONN);
  }
  if (v && v->kind == Kind::listener) return fail(EINVAL);
  if (v && !dest) return fail(EAFNOSUPPORT);
  if (v && v->kind == Kind::datagram) {
    auto q = request(InterceptOp::connect, SocketType::datagram, v->ipv6);
    q.address = dest;
    auto a = daemon::call(q, fd);
    if (!a) return fail(error_of(a.error()));
    if (a->reply.error != 0) return fail(a->reply.error);
    v->peer = dest;
    if (a->reply.local) v->local = a->reply.local;
    registry.set(fd, *v);
    return 0;
  }
  std::optional<InetSocket> k;
  if (!v) {
    if (!dest || !is_virtual(*dest) || !(k = inet_socket(fd))) return real::connect(fd, addr, len);
    if (k->type == SocketType::datagram) {
      // A datagram socket needs its channel first; then it is a virtual one.
      if (bind_virtual(fd, *k, wildcard(dest->ipv6)) != 0) return -1;
      return connect(fd, addr, len);
    }
  }
  const bool ipv6 = v ? v->ipv6 : k->ipv6;
  const bool nb = nonblocking(fd);
  auto q = request(InterceptOp::connect, SocketType::stream, ipv6);
  q.address = dest;
  q.flags = nb ? InterceptRequest::kNonBlocking : 0;
  if (!v) q.options = kernel_options(fd, SocketType::stream);
  weft::osdep::UniqueFd pending;
  auto a = daemon::call(q, v ? fd : -1, nb ? &pending : nullptr);
  if (!a) return fail(error_of(a.error()));
  const int err = a->reply.error;
  if (err != 0 && err != EINPROGRESS) return fail(err);
  if (!a->fd || replace(fd, a->fd) != 0) return fail(EIO);
  VirtualSocket s;
  s.kind = Kind::stream;
  s.ipv6 = ipv6;
  s.local = a->reply.local;
  s.peer = a->reply.peer ? a->reply.peer : dest;
  if (err == EINPROGRESS) s.pending = pending.release();
  registry.set(fd, s);
  return err == 0 ? 0 : fail(EINPROGRESS);
}

WEFT_EXPORT int getsockname(int fd, sockaddr* addr, socklen_t* len) {
  auto v = lookup(fd);
  if (!v) return real::getsockname(fd, addr, len);
  if (addr == nullptr || len == nullptr) return fail(EFAULT);
  *v = settle(fd, *v, false);
  from_wire(v->local, v->ipv6, addr, len);
  return 0;
}

WEFT_EXPORT int getpeername(int fd, sockaddr* addr, socklen_t* len) {
  auto v = lookup(fd);
  if (!v) return real::getpeername(fd, addr, len);
  if (addr == nullptr || len == nullptr) return fail(EFAULT);
  *v = settle(fd, *v, false);
  if (!v->peer || v->pending >= 0 || v->kind == Kind::listener || v->kind == Kind::bound)
    return fail(ENOTCONN);
  from_wire(v->peer, v->ipv6, addr, len);
  return 0;
}

WEFT_EXPORT int getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  auto v = level == SOL_SOCKET || level == IPPROTO_TCP || level == IPPROTO_IPV6 ? lookup(fd)
                                                                                : std::nullopt;
  if (!v) return real::getsockopt(fd, level, name, value, len);
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_TYPE:
        return write_int(value, len, v->kind == Kind::datagram ? SOCK_DGRAM : SOCK_STREAM);
      case SO_DOMAIN: return write_int(value, len, v->ipv6 ? AF_INET6 : AF_INET);
      case SO_PROTOCOL:
        return write_int(value, len, v->kind == Kind::datagram ? IPPROTO_UDP : IPPROTO_TCP);
      case SO_ACCEPTCONN: return write_int(value, len, v->kind == Kind::listener ? 1 : 0);
      case SO_ERROR: {
        auto s = settle(fd, *v, true);
        const int err = s.so_error;
        s.so_error = 0;
        FdRegistry::instance().set(fd, s);
        return write_int(value, len, err);
      }
      default: break;
    }
  }
  if (!forwarded_option(*v, level, name)) return real::getsockopt(fd, level, name, value, len);
  int out = 0;
  if (option_call(fd, *v, InterceptOp::get_option, level, name, 0, &out) != 0) return -1;
  return write_int(value, len, out);
}

WEFT_EXPORT int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  auto v = level == SOL_SOCKET || level == IPPROTO_TCP || level == IPPROTO_IPV6
               ? FdRegistry::instance().get(fd)
               : std::nullopt;
  if (!v) return real::setsockopt(fd, level, name, value, len);
  if (!forwarded_option(*v, level, name)) return real::setsockopt(fd, level, name, value, len);
  int on = 0;
  if (value == nullptr || len < sizeof on) return fail(EINVAL);
  std::memcpy(&on, value, sizeof on);
  return option_call(fd, *v, InterceptOp::set_option, level, name, on, nullptr);
}

// --- descriptors -------------------------------------------------------------

WEFT_EXPORT int close(int fd) {
  if (FdRegistry::instance().any(fd)) {
    if (auto v = FdRegistry::instance().take(fd); v && v->pending >= 0) real::close(v->pending);
  }
  return real::close(fd);
}

WEFT_EXPORT int dup(int fd) {
  const int out = real::dup(fd);
  if (out >= 0 && FdRegistry::instance().any(fd)) FdRegistry::instance().copy(fd, out);
  return out;
}

namespace {
int after_dup_to(int fd, int to, int result) {
  if (result < 0 || fd == to) return result;
  auto& registry = FdRegistry::instance();
  if (registry.any(to)) {
    if (auto old = registry.take(to); old && old->pending >= 0) real::close(old->pending);
  }
  if (registry.any(fd)) registry.copy(fd, to);
  return result;
}
}  // namespace

WEFT_EXPORT int dup2(int fd, int to) { return after_dup_to(fd, to, real::dup2(fd, to)); }
WEFT_EXPORT int dup3(int fd, int to, int flags) {
  return after_dup_to(fd, to, real::dup3(fd, to, flags));
}

namespace {
int fcntl_common(int fd, int cmd, long arg) {
  const int out = real::fcntl(fd, cmd, arg);
  if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && out >= 0 && FdRegistry::instance().any(fd))
    FdRegistry::instance().copy(fd, out);
  return out;
}
}  // namespace

WEFT_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const long arg = va_arg(ap, long);  // every fcntl argument fits a long (or is unused)
  va_end(ap);
  return fcntl_common(fd, cmd, arg);
}

WEFT_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const long arg = va_arg(ap, long);
  va_end(ap);
  return fcntl_common(fd, cmd, arg);
}

// --- data: only datagram sockets need us; streams are plain fds ---------------

namespace {

// A kernel datagram socket sending to a virtual address becomes virtual first.
std::optional<VirtualSocket> datagram_for(int fd, const sockaddr* to, socklen_t to_len) {
  auto& registry = FdRegistry::instance();
  if (registry.is_datagram(fd)) return registry.get(fd);
  if (to == nullptr || registry.any(fd)) return std::nullopt;
  auto dest = to_wire(to, to_len);
  if (!dest || !is_virtual(*dest)) return std::nullopt;
  auto k = inet_socket(fd);
  if (!k || k->type != SocketType::datagram) return std::nullopt;
  if (bind_virtual(fd, *k, wildcard(dest->ipv6)) != 0) return std::nullopt;
  return registry.get(fd);
}

}  // namespace

WEFT_EXPORT ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* to,
                           socklen_t to_len) {
  auto v = datagram_for(fd, to, to_len);
  if (!v) return real::sendto(fd, buf, n, flags, to, to_len);
  iovec iov{const_cast<void*>(buf), n};
  return datagram_send(fd, *v, &iov, 1, flags, to, to_len);
}

WEFT_EXPORT ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if (!FdRegistry::instance().is_datagram(fd)) return real::send(fd, buf, n, flags);
  return sendto(fd, buf, n, flags, nullptr, 0);
}

WEFT_EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  if (!FdRegistry::instance().is_datagram(fd)) return real::write(fd, buf, n);
  return sendto(fd, buf, n, 0, nullptr, 0);
}

WEFT_EXPORT ssize_t writev(int fd, const iovec* iov, int count) {
  if (!FdRegistry::instance().is_datagram(fd) || count < 0) return real::writev(fd, iov, count);
  auto v = FdRegistry::instance().get(fd);
  if (!v) return real::writev(fd, iov, count);
  return datagram_send(fd, *v, iov, static_cast<std::size_t>(count), 0, nullptr, 0);
}

WEFT_EXPORT ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  if (msg == nullptr) return real::sendmsg(fd, msg, flags);
  auto v = datagram_for(fd, static_cast<const sockaddr*>(msg->msg_name), msg->msg_namelen);
  if (!v) return real::sendmsg(fd, msg, flags);
  return datagram_send(fd, *v, msg->msg_iov, msg->msg_iovlen, flags,
                       static_cast<const sockaddr*>(msg->msg_name), msg->msg_namelen);
}

WEFT_EXPORT ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* from,
                             socklen_t* from_len) {
  if (!FdRegistry::instance().is_datagram(fd))
    return real::recvfrom(fd, buf, n, flags, from, from_len);
  auto v = FdRegistry::instance().get(fd);
  if (!v) return real::recvfrom(fd, buf, n, flags, from, from_len);
  iovec iov{buf, n};
  return datagram_recv(fd, *v, &iov, 1, flags, from, from_len, nullptr);
}

WEFT_EXPORT ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if (!FdRegistry::instance().is_datagram(fd)) return real::recv(fd, buf, n, flags);
  return recvfrom(fd, buf, n, flags, nullptr, nullptr);
}

WEFT_EXPORT ssize_t read(int fd, void* buf, size_t n) {
  if (!FdRegistry::instance().is_datagram(fd)) return real::read(fd, buf, n);
  return recvfrom(fd, buf, n, 0, nullptr, nullptr);
}

WEFT_EXPORT ssize_t readv(int fd, const iovec* iov, int count) {
  if (!FdRegistry::instance().is_datagram(fd) || count < 0) return real::readv(fd, iov, count);
  auto v = FdRegistry::instance().get(fd);
  if (!v) return real::readv(fd, iov, count);
  return datagram_recv(fd, *v, iov, static_cast<std::size_t>(count), 0, nullptr, nullptr, nullptr);
}

WEFT_EXPORT ssize_t recvmsg(int fd, msghdr* msg, int flags) {
  if (msg == nullptr || !FdRegistry::instance().is_datagram(fd))
    return real::recvmsg(fd, msg, flags);
  auto v = FdRegistry::instance().get(fd);
  if (!v) return real::recvmsg(fd, msg, flags);
  socklen_t name_len = msg->msg_namelen;
  int out_flags = 0;
  const ssize_t n = datagram_recv(fd, *v, msg->msg_iov, msg->msg_iovlen, flags,
                                  static_cast<sockaddr*>(msg->msg_name),
                                  msg->msg_name ? &name_len : nullptr, &out_flags);
  if (n >= 0) {
    if (msg->msg_name != nullptr) msg->msg_namelen = name_len;
    msg->msg_controllen = 0;
    msg->msg_flags = out_flags;
  }
  return n;
}

// ---- Names (docs/intercept.md "Names"): member names of the joined networks
// resolve to their virtual addresses; every other name is the system's.

namespace {

// The daemon's answer to `name`, when it has one to give: nullopt means
// "ask the system's resolver" (not a virtual name, or no daemon).
std::optional<weft::wire::ResolveAnswer> virtual_answer(const char* name) {
  if (name == nullptr || !names::may_be_virtual(name)) return std::nullopt;
  auto a = daemon::resolve(name);
  if (!a || a->status == weft::wire::ResolveStatus::not_virtual) return std::nullopt;
  return std::move(*a);
}

// gethostbyname*_r's contract over an answer: 0 with *result set, or 0 with
// *result null and h_errno set, or ERANGE.
int hostent_r(const weft::wire::ResolveAnswer& a, int af, hostent* ret, char* buf, size_t len,
              hostent** result, int* h_errnop) {
  *result = nullptr;
  if (a.status != weft::wire::ResolveStatus::found) {
    *h_errnop = a.status == weft::wire::ResolveStatus::failed ? TRY_AGAIN : HOST_NOT_FOUND;
    return 0;
  }
  const int r = names::to_hostent(a, af, ret, buf, len);
  if (r == ERANGE) {
    *h_errnop = NETDB_INTERNAL;
    return ERANGE;
  }
  if (r != 0) {
    *h_errnop = NO_DATA;  // the member has no address of this family
    return 0;
  }
  *result = ret;
  return 0;
}

// gethostbyname and gethostbyname2 return a static hostent; one per thread
// here, which is at least as safe as the C library's.
hostent* hostent_static(const weft::wire::ResolveAnswer& a, int af) {
  thread_local hostent h{};
  thread_local std::array<char, 1024> buf{};
  hostent* result = nullptr;
  int err = 0;
  (void)hostent_r(a, af, &h, buf.data(), buf.size(), &result, &err);
  if (result == nullptr) h_errno = err;
  return result;
}

}  // namespace

WEFT_EXPORT int getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                            addrinfo** res) {
  const bool numeric_only = hints != nullptr && (hints->ai_flags & AI_NUMERICHOST) != 0;
  if (!numeric_only) {
    if (auto a = virtual_answer(node)) {
      switch (a->status) {
        case weft::wire::ResolveStatus::found: return names::to_addrinfo(*a, service, hints, res);
        case weft::wire::ResolveStatus::failed: return EAI_AGAIN;
        default: return EAI_NONAME;
      }
    }
  }
  return real::getaddrinfo(node, service, hints, res);
}

WEFT_EXPORT hostent* gethostbyname(const char* name) {
  if (auto a = virtual_answer(name)) return hostent_static(*a, AF_INET);
  return real::gethostbyname(name);
}

WEFT_EXPORT hostent* gethostbyname2(const char* name, int af) {
  if (auto a = virtual_answer(name)) return hostent_static(*a, af);
  return real::gethostbyname2(name, af);
}

WEFT_EXPORT int gethostbyname_r(const char* name, hostent* ret, char* buf, size_t len,
                                hostent** result, int* h_errnop) {
  if (auto a = virtual_answer(name)) return hostent_r(*a, AF_INET, ret, buf, len, result, h_errnop);
  return real::gethostbyname_r(name, ret, buf, len, result, h_errnop);
}

WEFT_EXPORT int gethostbyname2_r(const char* name, int af, hostent* ret, char* buf, size_t len,
                                 hostent** result, int* h_errnop) {
  if (auto a = virtual_answer(name)) return hostent_r(*a, af, ret, buf, len, result, h_errnop);
  return real::gethostbyname2_r(name, af, ret, buf, len, result, h_errnop);
}
