#include "service/intercept_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <utility>

#include "base/log.hpp"
#include "osdep/fd_passing.hpp"
#include "socket/errno_map.hpp"

namespace weft::service {

namespace {

using wire::InterceptOp;
using wire::InterceptReply;
using wire::InterceptRequest;
using wire::SocketAddress;
using wire::SocketType;

// Epoll tokens: the kind in the top byte, an id below.
constexpr std::uint64_t kKindShift = 56;
constexpr std::uint64_t kEventToken = 0;
constexpr std::uint64_t kListenToken = 1ULL << kKindShift;
constexpr std::uint64_t kClientKind = 2;
constexpr std::uint64_t kChannelKind = 3;
constexpr std::uint64_t kKernelKind = 4;  // a kernel listening socket (wildcard "both")
constexpr std::uint64_t kIdMask = (1ULL << kKindShift) - 1;

constexpr std::size_t kMaxDatagram = 65'535;
constexpr std::size_t kBuffer = wire::kDatagramHeaderSize + kMaxDatagram;

std::uint64_t token(std::uint64_t kind, std::uint64_t id) { return (kind << kKindShift) | id; }

stack::Endpoint to_endpoint(const SocketAddress& a) {
  stack::Endpoint e;
  e.address.family = a.ipv6 ? stack::Family::v6 : stack::Family::v4;
  e.address.bytes = a.bytes;
  e.port = a.port;
  return e;
}

SocketAddress to_address(const stack::Endpoint& e) {
  SocketAddress a;
  a.ipv6 = e.address.family == stack::Family::v6;
  a.bytes = e.address.bytes;
  a.port = e.port;
  return a;
}

std::optional<SocketAddress> local_of(stack::Socket& s) {
  auto e = s.local_endpoint();
  if (!e) return std::nullopt;
  return to_address(*e);
}

std::optional<SocketAddress> peer_of(stack::Socket& s) {
  auto e = s.peer_endpoint();
  if (!e) return std::nullopt;
  return to_address(*e);
}

std::optional<ino_t> inode_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return std::nullopt;
  return st.st_ino;
}

SocketAddress from_sockaddr(const sockaddr_storage& ss) {
  SocketAddress a;
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    std::memcpy(a.bytes.data(), &in.sin_addr, 4);
    a.port = ntohs(in.sin_port);
  } else {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    a.ipv6 = true;
    std::memcpy(a.bytes.data(), &in6.sin6_addr, 16);
    a.port = ntohs(in6.sin6_port);
  }
  return a;
}

// A kernel socket's local or peer address, if it is an IP socket that has one.
bool kernel_address(int fd, bool peer, SocketAddress& out) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  if ((peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0) return false;
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) return false;
  out = from_sockaddr(ss);
  return true;
}

// Whether `fd` is a kernel TCP socket bound to the wildcard at `address`'s
// port: what a bind with kAlsoKernel must pass.
bool kernel_twin(int fd, const SocketAddress& address, SocketType type) {
  if (fd < 0 || type != SocketType::stream || address.bytes != ByteArray<16>{}) return false;
  int so_type = 0;
  socklen_t len = sizeof so_type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &so_type, &len) != 0 || so_type != SOCK_STREAM)
    return false;
  SocketAddress local;
  return kernel_address(fd, false, local) && local.port == address.port &&
         local.bytes == ByteArray<16>{};
}

InterceptReply error_reply(int err) {
  InterceptReply r;
  r.error = err;
  return r;
}

InterceptReply error_reply(Error e) { return error_reply(socket::to_errno(e)); }

// The stack option a (level, name) pair of setsockopt(2) means, if any.
std::optional<stack::Option> option_of(int level, int name) {
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_REUSEADDR: return stack::Option::reuse_addr;
      case SO_KEEPALIVE: return stack::Option::keep_alive;
      case SO_RCVBUF: return stack::Option::recv_buffer;
      case SO_SNDBUF: return stack::Option::send_buffer;
      default: return std::nullopt;
    }
  }
  if (level == IPPROTO_TCP) {
    switch (name) {
      case TCP_NODELAY: return stack::Option::no_delay;
      case TCP_KEEPIDLE: return stack::Option::keep_idle_s;
      case TCP_KEEPINTVL: return stack::Option::keep_interval_s;
      case TCP_KEEPCNT: return stack::Option::keep_count;
      default: return std::nullopt;
    }
  }
  if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) return stack::Option::v6_only;
  return std::nullopt;
}

Result<void> apply_options(stack::Socket& s, std::uint32_t options) {
  if ((options & wire::kOptReuseAddr) != 0) WEFT_TRY(s.set_option(stack::Option::reuse_addr, 1));
  // An IPv6 program socket bound or connected to an IPv4-mapped address has an
  // IPv4 stack socket, to which the option means nothing.
  if ((options & wire::kOptV6Only) != 0 && s.family() == stack::Family::v6)
    WEFT_TRY(s.set_option(stack::Option::v6_only, 1));
  if (s.transport() == stack::Transport::tcp) {
    if ((options & wire::kOptNoDelay) != 0) WEFT_TRY(s.set_option(stack::Option::no_delay, 1));
    if ((options & wire::kOptKeepAlive) != 0) WEFT_TRY(s.set_option(stack::Option::keep_alive, 1));
  }
  return {};
}

struct HeldWritability {
  std::size_t filler{0};
  int sndbuf{0};
};

// Makes the program's end of a stream pair unwritable (poll says no POLLOUT)
// by shrinking its send buffer and filling it; release_writability undoes it.
Result<HeldWritability> hold_writability(int app) {
  HeldWritability h;
  socklen_t len = sizeof h.sndbuf;
  if (::getsockopt(app, SOL_SOCKET, SO_SNDBUF, &h.sndbuf, &len) != 0) return Error::io;
  const int smallest = 1;  // the kernel raises it to its minimum
  if (::setsockopt(app, SOL_SOCKET, SO_SNDBUF, &smallest, sizeof smallest) != 0) return Error::io;
  std::array<std::byte, 1024> zeros{};
  for (;;) {
    const ssize_t n = ::send(app, zeros.data(), zeros.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) break;
    h.filler += static_cast<std::size_t>(n);
  }
  if (h.filler == 0) return Error::io;
  return h;
}

void release_writability(int app, int ours, std::size_t filler, int sndbuf) {
  std::array<std::byte, 1024> sink{};
  while (filler > 0) {
    const ssize_t n = ::recv(ours, sink.data(), std::min(filler, sink.size()), MSG_DONTWAIT);
    if (n <= 0) break;  // cannot happen: the filler was queued before anything else
    filler -= static_cast<std::size_t>(n);
  }
  // getsockopt reported the doubled value the kernel keeps; it doubles what it is given.
  const int restore = sndbuf / 2;
  (void)::setsockopt(app, SOL_SOCKET, SO_SNDBUF, &restore, sizeof restore);
}

struct Pair {
  osdep::UniqueFd app;
  osdep::UniqueFd ours;
  ino_t app_ino{0};
};

Result<Pair> make_pair(int type) {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0)
    return errno == EMFILE || errno == ENFILE ? Error::no_buffer : Error::io;
  Pair p{osdep::UniqueFd(fds[0]), osdep::UniqueFd(fds[1])};
  if (::fcntl(p.ours.get(), F_SETFL, O_NONBLOCK) != 0) return Error::io;
  auto ino = inode_of(p.app.get());
  if (!ino) return Error::io;
  p.app_ino = *ino;
  return p;
}

}  // namespace

// One request connection: a program's one question (two for a non-blocking
// connect: EINPROGRESS at once, the outcome when it is known).
struct InterceptServer::Client {
  std::uint64_t id{0};
  osdep::UniqueFd fd;
  std::uint64_t connecting{0};  // the Socket whose outcome this client waits for
};

// A virtual socket the server holds a stack socket for.
struct InterceptServer::Socket final : stack::Waker {
  using Kind = SocketKind;

  InterceptServer* server{nullptr};
  std::uint64_t id{0};
  Kind kind{Kind::bound};
  bool ipv6{false};  // the program's socket family
  std::shared_ptr<stack::Socket> sock;
  osdep::UniqueFd channel;  // our end of the program's pair (not for connecting)
  ino_t app_ino{0};
  std::atomic<bool> queued{false};

  // listener: an accepted connection the program's full channel could not take yet.
  std::deque<std::unique_ptr<stack::Socket>> accepted;
  bool channel_full{false};
  // A wildcard listener that listens on the kernel too: the program's kernel
  // socket (bound to the same port), and a connection it accepted that the
  // full channel could not take yet.
  osdep::UniqueFd kernel;
  osdep::UniqueFd kernel_accepted;
  bool kernel_paused{false};  // out of fds: not watched until a socket closes
  // connecting: the pair that becomes the connection, and who waits.
  osdep::UniqueFd app_end;  // not yet handed out (blocking connect)
  osdep::UniqueFd bridge_end;
  std::uint64_t client{0};
  bool nonblocking{false};
  std::size_t filler{0};  // non-blocking: bytes holding the program's end unwritable
  int app_sndbuf{0};      // its send buffer before that

  void wake() noexcept override {
    if (!queued.exchange(true)) server->mark_ready(id);
  }
};

struct InterceptServer::Stream {
  std::weak_ptr<stack::Socket> sock;
  bool ipv6{false};
  bool nodelay{false};  // TCP_NODELAY as the program set it
};

InterceptServer::InterceptServer(InterceptServerConfig config, stack::StackDriver& driver,
                                 osdep::UniqueFd listen, osdep::UniqueFd epoll,
                                 osdep::UniqueFd event,
                                 std::unique_ptr<socket::FdBridge> bridge) noexcept
    : config_(std::move(config)),
      driver_(driver),
      listen_(std::move(listen)),
      epoll_(std::move(epoll)),
      event_(std::move(event)),
      bridge_(std::move(bridge)),
      buffer_(kBuffer) {}

Result<std::unique_ptr<InterceptServer>> InterceptServer::start(InterceptServerConfig config,
                                                                stack::StackDriver& driver) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (config.path.empty() || config.path.size() >= sizeof sun.sun_path)
    return Error::invalid_argument;
  std::memcpy(sun.sun_path, config.path.c_str(), config.path.size() + 1);

  osdep::UniqueFd listen(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen) return Error::io;
  // A socket file left by a daemon that died; the state directory's lock says
  // no live daemon owns it.
  (void)::unlink(config.path.c_str());
  // Created owner-only: nobody else may even connect before the chmod below.
  const mode_t old_mask = ::umask(077);
  const int bound = ::bind(listen.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun);
  ::umask(old_mask);
  if (bound != 0) return errno == EADDRINUSE ? Error::address_in_use : Error::io;
  if (::chmod(config.path.c_str(), 0600) != 0 || ::listen(listen.get(), 128) != 0) return Error::io;

  osdep::UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  osdep::UniqueFd ev(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!ep || !ev) return Error::io;
  // The node's own I/O thread receives: no table's receivers to keep from lingering.
  auto bridge = socket::FdBridge::start(nullptr);
  if (!bridge) return bridge.error();
  std::unique_ptr<InterceptServer> s(new InterceptServer(std::move(config), driver,
                                                         std::move(listen), std::move(ep),
                                                         std::move(ev), std::move(bridge).value()));
  WEFT_TRY(s->watch_fd(s->event_.get(), kEventToken, EPOLLIN));
  WEFT_TRY(s->watch_fd(s->listen_.get(), kListenToken, EPOLLIN));
  s->thread_ = std::thread([p = s.get()] { p->run(); });
  return s;
}

InterceptServer::~InterceptServer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  std::uint64_t one = 1;
  (void)!::write(event_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  for (auto& [id, s] : sockets_) {
    s->sock->unwatch(s.get());
    s->sock->abort();
  }
  sockets_.clear();
  clients_.clear();
  bridge_.reset();  // joins the bridge thread; closes the bridged connections
  (void)::unlink(config_.path.c_str());
}

InterceptServer::Stats InterceptServer::stats() const noexcept {
  return Stats{requests_.load(), malformed_.load(), peers_refused_.load(),
               datagrams_dropped_.load()};
}

Result<void> InterceptServer::watch_fd(int fd, std::uint64_t tok, std::uint32_t events,
                                       bool modify) {
  epoll_event e{};
  e.events = events;
  e.data.u64 = tok;
  if (::epoll_ctl(epoll_.get(), modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e) != 0)
    return Error::io;
  return {};
}

void InterceptServer::mark_ready(std::uint64_t id) noexcept {
  {
    std::lock_guard lock(mu_);
    ready_.push_back(id);
  }
  std::uint64_t one = 1;
  (void)!::write(event_.get(), &one, sizeof one);
}

void InterceptServer::run() {
  std::vector<epoll_event> events(64);
  std::vector<std::uint64_t> ready;
  for (;;) {
    const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno != EINTR) {
      log::error("intercept", "epoll_wait: {}", std::strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      const auto& e = events[static_cast<std::size_t>(i)];
      const std::uint64_t kind = e.data.u64 >> kKindShift;
      const std::uint64_t id = e.data.u64 & kIdMask;
      if (e.data.u64 == kEventToken) {
        std::uint64_t v = 0;
        (void)!::read(event_.get(), &v, sizeof v);
      } else if (e.data.u64 == kListenToken) {
        accept_clients();
      } else if (kind == kClientKind) {
        if (auto it = clients_.find(id); it != clients_.end()) serve(*it->second);
      } else if (kind == kChannelKind) {
        if (auto it = sockets_.find(id); it != sockets_.end()) on_channel(*it->second, e.events);
      } else if (kind == kKernelKind) {
        if (auto it = sockets_.find(id); it != sockets_.end()) on_kernel(*it->second);
      }
    }
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      ready.swap(ready_);
    }
    std::sort(ready.begin(), ready.end());
    ready.erase(std::unique(ready.begin(), ready.end()), ready.end());
    for (std::uint64_t id : ready) {
      auto it = sockets_.find(id);
      if (it == sockets_.end()) continue;
      it->second->queued = false;  // before handling: a wake meanwhile re-queues
      on_stack(*it->second);
    }
    ready.clear();
  }
}

void InterceptServer::accept_clients() {
  for (;;) {
    osdep::UniqueFd fd(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EMFILE || errno == ENFILE) {
        // Out of fds: the pending connection would keep the socket readable
        // and this thread spinning. Stop listening until something closes.
        log::warn("intercept", "out of file descriptors: new requests wait");
        (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listen_.get(), nullptr);
        listen_paused_ = true;
      }
      return;  // EAGAIN, or a connection that died before we took it
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        cred.uid != ::getuid()) {
      peers_refused_.fetch_add(1, std::memory_order_relaxed);
      log::warn("intercept", "refused a connection from uid {} (only {} may connect)", cred.uid,
                ::getuid());
      continue;
    }
    if (clients_.size() >= config_.max_requests) {
      peers_refused_.fetch_add(1, std::memory_order_relaxed);
      continue;  // the program sees its request fail and reports it
    }
    auto c = std::make_unique<Client>();
    c->id = next_id_++;
    c->fd = std::move(fd);
    if (!watch_fd(c->fd.get(), token(kClientKind, c->id), EPOLLIN)) continue;
    clients_.emplace(c->id, std::move(c));
  }
}

void InterceptServer::resume_listening() {
  if (listen_paused_ && watch_fd(listen_.get(), kListenToken, EPOLLIN)) listen_paused_ = false;
  for (const std::uint64_t id : std::exchange(kernel_paused_, {})) {
    if (auto it = sockets_.find(id); it != sockets_.end()) {
      it->second->kernel_paused = false;
      watch_kernel(*it->second);
    }
  }
}

void InterceptServer::close_client(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  resume_listening();
  if (it->second->connecting != 0) {
    // The program gave up (or died) while its connect ran: nobody will take the connection.
    if (auto s = sockets_.find(it->second->connecting); s != sockets_.end()) {
      s->second->client = 0;
      if (!s->second->nonblocking) close_socket(s->first);
    }
  }
  clients_.erase(it);  // closing the fd removes it from epoll
}

void InterceptServer::serve(Client& c) {
  // A request, or a resolve request with its name; +1: an over-long message shows.
  std::array<std::byte, InterceptRequest::kSize + wire::ResolveName::kMaxName + 1> buf{};
  auto in = osdep::receive_with_fd(c.fd.get(), buf, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (!in && in.error() == Error::would_block) return;
  if (!in || in->size == 0) {
    close_client(c.id);
    return;
  }
  if (c.connecting != 0 || in->truncated) {
    // A second request on one connection, or an over-long message or fd list.
    malformed_.fetch_add(1, std::memory_order_relaxed);
    close_client(c.id);
    return;
  }
  osdep::UniqueFd passed = std::move(in->fd);
  const std::size_t n = in->size;
  auto request = InterceptRequest::parse(ByteSpan(buf.data(), std::min(n, InterceptRequest::kSize)));
  requests_.fetch_add(1, std::memory_order_relaxed);
  // Only a resolve request carries a name after it, and it must.
  Result<std::string> name = Error::malformed;
  if (request && request->op == InterceptOp::resolve)
    name = wire::ResolveName::parse(ByteSpan(buf.data(), n).subspan(InterceptRequest::kSize));
  if (request && (request->op == InterceptOp::resolve ? !name : n != InterceptRequest::kSize))
    request = Error::malformed;
  if (!request) {
    malformed_.fetch_add(1, std::memory_order_relaxed);
    reply(c, error_reply(EPROTO));
    close_client(c.id);
    return;
  }
  const std::uint64_t id = c.id;
  if (request->op == InterceptOp::resolve)
    do_resolve(c, std::move(*name));
  else
    handle(c, *request, std::move(passed));
  // A client whose answer is complete is done; one waiting for a connect stays.
  if (auto it = clients_.find(id); it != clients_.end() && it->second->connecting == 0)
    close_client(id);
}

void InterceptServer::reply(Client& c, const InterceptReply& r, int fd) {
  std::array<std::byte, InterceptReply::kSize> buf{};
  r.emit(buf);
  // A fresh connection with one small message queued: this cannot block. If the
  // program is gone, there is nobody to tell.
  (void)osdep::send_with_fd(c.fd.get(), buf, fd, MSG_DONTWAIT);
}

void InterceptServer::handle(Client& c, const InterceptRequest& q, osdep::UniqueFd passed) {
  std::optional<ino_t> ino;
  if (passed) ino = inode_of(passed.get());
  Socket* s = ino ? find(*ino) : nullptr;
  switch (q.op) {
    case InterceptOp::info: return do_info(c);
    case InterceptOp::bind: return do_bind(c, q, std::move(passed));
    case InterceptOp::listen: return do_listen(c, q, s);
    case InterceptOp::connect: {
      if (passed && s == nullptr) return reply(c, error_reply(EBADF));
      return do_connect(c, q, s);
    }
    case InterceptOp::set_option:
    case InterceptOp::get_option:
      if (!ino) return reply(c, error_reply(EBADF));
      return do_option(c, q, *ino);
    case InterceptOp::query:
      if (!ino) return reply(c, error_reply(EBADF));
      return do_query(c, *ino);
    case InterceptOp::shutdown: return reply(c, error_reply(EOPNOTSUPP));
    case InterceptOp::resolve: return reply(c, error_reply(EPROTO));  // serve() handles it
  }
}

void InterceptServer::do_info(Client& c) {
  auto prefixes = config_.prefixes ? config_.prefixes() : std::vector<wire::VirtualPrefix>{};
  if (prefixes.size() > wire::VirtualPrefix::kMaxCount)
    prefixes.resize(wire::VirtualPrefix::kMaxCount);
  Bytes buf(InterceptReply::kSize + prefixes.size() * wire::VirtualPrefix::kSize);
  InterceptReply r;
  r.value = static_cast<std::int32_t>(prefixes.size());
  r.emit(MutableByteSpan(buf).first(InterceptReply::kSize));
  for (std::size_t i = 0; i < prefixes.size(); ++i)
    prefixes[i].emit(MutableByteSpan(buf).subspan(
        InterceptReply::kSize + i * wire::VirtualPrefix::kSize, wire::VirtualPrefix::kSize));
  (void)::send(c.fd.get(), buf.data(), buf.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void InterceptServer::do_resolve(Client& c, std::string name) {
  auto send = [](int fd, const wire::ResolveAnswer& a) {
    std::array<std::byte, wire::ResolveAnswer::kMaxSize> buf{};
    a.emit(buf);
    (void)::send(fd, buf.data(), a.buffer_len(), MSG_DONTWAIT | MSG_NOSIGNAL);
  };
  // The answer may come later, from another thread: it goes out on its own
  // duplicate of the request connection, so the client is closed as usual
  // and nothing of the server's is touched when the answer comes.
  auto out = std::make_shared<osdep::UniqueFd>(::fcntl(c.fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!*out) {
    wire::ResolveAnswer a;
    a.status = wire::ResolveStatus::failed;
    a.error = errno;
    return send(c.fd.get(), a);
  }
  if (!config_.resolve) return send(out->get(), wire::ResolveAnswer{});
  config_.resolve(name, [out, send](const wire::ResolveAnswer& a) { send(out->get(), a); });
}

InterceptServer::Socket* InterceptServer::find(ino_t ino) {
  auto it = socket_by_ino_.find(ino);
  if (it == socket_by_ino_.end()) return nullptr;
  auto s = sockets_.find(it->second);
  return s == sockets_.end() ? nullptr : s->second.get();
}

InterceptServer::Socket* InterceptServer::add_socket(std::unique_ptr<Socket> s) {
  s->server = this;
  s->id = next_id_++;
  if (s->channel && !watch_fd(s->channel.get(), token(kChannelKind, s->id), EPOLLIN | EPOLLRDHUP))
    return nullptr;
  if (s->app_ino != 0) socket_by_ino_[s->app_ino] = s->id;
  s->sock->watch(s.get());
  Socket* raw = s.get();
  sockets_.emplace(raw->id, std::move(s));
  return raw;
}

std::shared_ptr<stack::Socket> InterceptServer::release_socket(std::uint64_t id) {
  auto it = sockets_.find(id);
  if (it == sockets_.end()) return nullptr;
  Socket& s = *it->second;
  s.sock->unwatch(&s);
  if (s.app_ino != 0) socket_by_ino_.erase(s.app_ino);
  if (s.client != 0) {
    if (auto c = clients_.find(s.client); c != clients_.end()) c->second->connecting = 0;
  }
  for (auto& child : s.accepted) child->abort();
  // Explicitly: another process may hold the kernel socket too, which would
  // keep it in our epoll set after we close our fd.
  if (s.kernel) (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s.kernel.get(), nullptr);
  std::shared_ptr<stack::Socket> sock = std::move(s.sock);
  sockets_.erase(it);  // closes our end of the program's pair
  resume_listening();
  return sock;
}

void InterceptServer::close_socket(std::uint64_t id) {
  if (auto sock = release_socket(id)) sock->close();
}

void InterceptServer::register_stream(ino_t ino, std::shared_ptr<stack::Socket> sock, bool ipv6) {
  // Forget connections that have ended: the map stays as large as what is open.
  if (streams_.size() >= 64 && streams_.size() % 64 == 0) {
    std::erase_if(streams_, [](const auto& kv) { return kv.second.sock.expired(); });
  }
  // Nagle's algorithm is off in the stack for a bridged connection: the bridge
  // already sends whatever the program wrote meanwhile in one go, and lwIP's
  // Nagle (stricter than Linux's) held a write's short tail for the peer's
  // delayed ACK, stalling request/response programs up to 250 ms. The program
  // still reads back the TCP_NODELAY it set (docs/intercept.md).
  const auto nodelay = sock->get_option(stack::Option::no_delay);
  (void)sock->set_option(stack::Option::no_delay, 1);
  streams_[ino] = Stream{std::move(sock), ipv6, nodelay && *nodelay != 0};
}

void InterceptServer::do_bind(Client& c, const InterceptRequest& q, osdep::UniqueFd passed) {
  if (!q.address) return reply(c, error_reply(EINVAL));
  const bool also_kernel = (q.flags & InterceptRequest::kAlsoKernel) != 0;
  if (also_kernel && !kernel_twin(passed.get(), *q.address, q.type))
    return reply(c, error_reply(EINVAL));
  if (sockets_.size() >= config_.max_sockets) return reply(c, error_reply(ENOBUFS));
  const bool tcp = q.type == SocketType::stream;
  auto sock = driver_.open(tcp ? stack::Transport::tcp : stack::Transport::udp,
                           q.address->ipv6 ? stack::Family::v6 : stack::Family::v4);
  if (!sock) return reply(c, error_reply(sock.error()));
  std::shared_ptr<stack::Socket> shared = std::move(sock).value();
  if (auto r = apply_options(*shared, q.options); !r) return reply(c, error_reply(r.error()));
  if (auto r = shared->bind(to_endpoint(*q.address)); !r) return reply(c, error_reply(r.error()));
  auto pair = make_pair(SOCK_SEQPACKET);
  if (!pair) return reply(c, error_reply(pair.error()));
  auto s = std::make_unique<Socket>();
  s->kind = tcp ? Socket::Kind::bound : Socket::Kind::datagram;
  s->ipv6 = q.ipv6;
  s->sock = shared;
  s->channel = std::move(pair->ours);
  s->app_ino = pair->app_ino;
  if (also_kernel) s->kernel = std::move(passed);
  if (!add_socket(std::move(s))) return reply(c, error_reply(EIO));
  InterceptReply r;
  r.local = local_of(*shared);
  reply(c, r, pair->app.get());
}

void InterceptServer::do_listen(Client& c, const InterceptRequest& q, Socket* s) {
  if (s == nullptr) return reply(c, error_reply(EBADF));
  if (s->kind == Socket::Kind::listener) return reply(c, InterceptReply{});  // listen again: fine
  if (s->kind != Socket::Kind::bound) return reply(c, error_reply(EOPNOTSUPP));
  const int backlog = std::clamp(q.level, 1, 4096);
  if (auto r = s->sock->listen(backlog); !r) return reply(c, error_reply(r.error()));
  if (s->kernel) {
    // Ours alone by now (the program put the pair end in its place after
    // bind; before that, O_NONBLOCK would have reached its fd too): accept
    // must never block this thread.
    const int flags = ::fcntl(s->kernel.get(), F_GETFL, 0);
    if (flags < 0 || ::fcntl(s->kernel.get(), F_SETFL, flags | O_NONBLOCK) != 0 ||
        ::listen(s->kernel.get(), backlog) != 0)
      return reply(c, error_reply(errno));
  }
  s->kind = Socket::Kind::listener;
  InterceptReply r;
  r.local = local_of(*s->sock);
  reply(c, r);
  if (s->kernel) watch_kernel(*s);
  on_stack(*s);  // a connection may be queued already
}

void InterceptServer::do_connect(Client& c, const InterceptRequest& q, Socket* bound) {
  if (!q.address) return reply(c, error_reply(EINVAL));
  const auto remote = to_endpoint(*q.address);
  if (q.type == SocketType::datagram) {
    if (bound == nullptr || bound->kind != Socket::Kind::datagram)
      return reply(c, error_reply(EBADF));
    if (auto r = bound->sock->connect(remote); !r) return reply(c, error_reply(r.error()));
    InterceptReply r;
    r.local = local_of(*bound->sock);
    r.peer = q.address;
    return reply(c, r);
  }
  std::shared_ptr<stack::Socket> sock;
  if (bound != nullptr) {
    if (bound->kind == Socket::Kind::listener) return reply(c, error_reply(EINVAL));
    if (bound->kind != Socket::Kind::bound) return reply(c, error_reply(EALREADY));
    // The bound socket lives on as the connection; its channel closes (the
    // program puts the connection's fd in its place).
    sock = release_socket(bound->id);
  } else {
    if (sockets_.size() >= config_.max_sockets) return reply(c, error_reply(ENOBUFS));
    auto opened = driver_.open(stack::Transport::tcp,
                               q.address->ipv6 ? stack::Family::v6 : stack::Family::v4);
    if (!opened) return reply(c, error_reply(opened.error()));
    sock = std::move(opened).value();
    if (auto r = apply_options(*sock, q.options); !r) return reply(c, error_reply(r.error()));
  }
  auto started = sock->connect(remote);
  if (!started && started.error() != Error::in_progress)
    return reply(c, error_reply(started.error()));
  auto pair = make_pair(SOCK_STREAM);
  if (!pair) return reply(c, error_reply(pair.error()));

  auto s = std::make_unique<Socket>();
  s->kind = Socket::Kind::connecting;
  s->ipv6 = q.ipv6;
  s->sock = sock;
  s->app_ino = pair->app_ino;
  s->bridge_end = std::move(pair->ours);
  s->client = c.id;
  s->nonblocking = (q.flags & InterceptRequest::kNonBlocking) != 0;
  if (s->nonblocking) {
    // The program's socket becomes the pair now, and must not look writable
    // before the connection is up (programs poll for POLLOUT, then ask
    // SO_ERROR or connect again): its send buffer is filled until
    // finish_connect drains it. The outcome follows on this client.
    auto held = hold_writability(pair->app.get());
    if (!held) return reply(c, error_reply(held.error()));
    s->filler = held->filler;
    s->app_sndbuf = held->sndbuf;
    InterceptReply r = error_reply(EINPROGRESS);
    r.peer = q.address;
    reply(c, r, pair->app.get());
  }
  s->app_end = std::move(pair->app);
  Socket* added = add_socket(std::move(s));
  if (added == nullptr) return reply(c, error_reply(EIO));
  c.connecting = added->id;
  on_stack(*added);  // it may be connected already
}

void InterceptServer::finish_connect(Socket& s) {
  const std::uint32_t ev = s.sock->events();
  if ((ev & (stack::Events::writable | stack::Events::error | stack::Events::hangup)) == 0) return;
  InterceptReply r;
  if (auto err = s.sock->take_error(); !err) {
    r = error_reply(err.error());
  } else if ((ev & stack::Events::writable) == 0) {
    r = error_reply(ECONNREFUSED);
  } else {
    r.local = local_of(*s.sock);
    r.peer = peer_of(*s.sock);
  }
  const std::uint64_t client = s.client;
  osdep::UniqueFd app_end = std::move(s.app_end);
  osdep::UniqueFd bridge_end = std::move(s.bridge_end);
  const ino_t app_ino = s.app_ino;
  const bool ipv6 = s.ipv6;
  const std::size_t filler = s.filler;
  const int app_sndbuf = s.app_sndbuf;
  std::shared_ptr<stack::Socket> sock = release_socket(s.id);

  // The outcome first, so a program woken by POLLOUT (below) finds it waiting;
  // a non-blocking connect's program has the fd already.
  if (auto it = clients_.find(client); it != clients_.end()) {
    it->second->connecting = 0;
    reply(*it->second, r, r.error == 0 && filler == 0 ? app_end.get() : -1);
    close_client(client);
  }
  if (r.error != 0) {
    sock->abort();  // and the pair closes: a program holding it reads EOF
    return;
  }
  // Before the bridge reads the pair: it must never see the filler.
  if (filler != 0) release_writability(app_end.get(), bridge_end.get(), filler, app_sndbuf);
  if (auto attached = bridge_->attach(sock, std::move(bridge_end)); !attached) {
    log::warn("intercept", "bridging a connection: {}", message(attached.error()));
    sock->abort();
    return;
  }
  register_stream(app_ino, sock, ipv6);
}

void InterceptServer::on_stack(Socket& s) {
  switch (s.kind) {
    case Socket::Kind::connecting: return finish_connect(s);
    case Socket::Kind::bound: return;
    case Socket::Kind::listener: {
      for (;;) {
        if (s.channel_full) return;
        std::unique_ptr<stack::Socket> child;
        if (!s.accepted.empty()) {
          child = std::move(s.accepted.front());
          s.accepted.pop_front();
        } else {
          stack::Endpoint peer;
          auto a = s.sock->accept(&peer);
          if (!a) return;  // would_block (or the listener failed: the program's accept waits)
          child = std::move(a).value();
        }
        auto pair = make_pair(SOCK_STREAM);
        if (!pair) {
          child->abort();
          continue;
        }
        wire::AcceptNotice notice;
        auto local = child->local_endpoint();
        auto peer = child->peer_endpoint();
        if (!local || !peer) {  // reset while queued
          child->abort();
          continue;
        }
        notice.local = to_address(*local);
        notice.peer = to_address(*peer);
        std::array<std::byte, wire::AcceptNotice::kSize> buf{};
        notice.emit(buf);
        if (!osdep::send_with_fd(s.channel.get(), buf, pair->app.get(), MSG_DONTWAIT)) {
          if (errno == EAGAIN) {
            // The program's accept queue is full: keep this one, stop accepting
            // (lwIP's backlog fills next), resume when the channel drains.
            s.accepted.push_front(std::move(child));
            set_channel_full(s, true);
            return;
          }
          child->abort();
          return close_socket(s.id);  // the program closed its listener
        }
        std::shared_ptr<stack::Socket> shared = std::move(child);
        if (!bridge_->attach(shared, std::move(pair->ours))) continue;
        register_stream(pair->app_ino, shared, s.ipv6);
      }
    }
    case Socket::Kind::datagram: {
      std::size_t full = 0;
      for (;;) {
        stack::Endpoint from;
        auto n = s.sock->recv_from(MutableByteSpan(buffer_).subspan(wire::kDatagramHeaderSize),
                                   from, &full);
        if (!n) return;
        SocketAddress::emit(to_address(from),
                            MutableByteSpan(buffer_).first(wire::kDatagramHeaderSize));
        if (::send(s.channel.get(), buffer_.data(), wire::kDatagramHeaderSize + *n,
                   MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
          // As a kernel UDP socket drops what its full receive buffer cannot take.
          datagrams_dropped_.fetch_add(1, std::memory_order_relaxed);
          if (errno != EAGAIN && errno != ENOBUFS) return close_socket(s.id);
        }
      }
    }
  }
}

void InterceptServer::set_channel_full(Socket& s, bool full) {
  s.channel_full = full;
  (void)watch_fd(s.channel.get(), token(kChannelKind, s.id),
                 EPOLLIN | EPOLLRDHUP | (full ? EPOLLOUT : 0U), true);
  // The kernel listener is level-triggered: unwatched while nothing can be passed on.
  if (s.kernel && s.kind == Socket::Kind::listener && !s.kernel_paused) watch_kernel(s);
}

void InterceptServer::watch_kernel(Socket& s) {
  const std::uint32_t events = s.channel_full || s.kernel_paused ? 0U : std::uint32_t{EPOLLIN};
  if (!watch_fd(s.kernel.get(), token(kKernelKind, s.id), events, true))
    (void)watch_fd(s.kernel.get(), token(kKernelKind, s.id), events);
}

void InterceptServer::on_kernel(Socket& s) {
  while (!s.channel_full) {
    osdep::UniqueFd conn = std::move(s.kernel_accepted);
    if (!conn) conn.reset(::accept4(s.kernel.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        s.kernel_paused = true;  // until a socket closes (resume_listening)
        kernel_paused_.push_back(s.id);
        watch_kernel(s);
      }
      return;  // EAGAIN, or a connection that went away before it was taken
    }
    // A kernel connection goes to the program as itself: the notice's
    // addresses are the kernel's (the preload asks the fd anyway).
    wire::AcceptNotice notice;
    if (!kernel_address(conn.get(), false, notice.local) ||
        !kernel_address(conn.get(), true, notice.peer))
      continue;  // reset meanwhile
    std::array<std::byte, wire::AcceptNotice::kSize> buf{};
    notice.emit(buf);
    if (!osdep::send_with_fd(s.channel.get(), buf, conn.get(), MSG_DONTWAIT)) {
      if (errno != EAGAIN) return close_socket(s.id);  // the program closed its listener
      s.kernel_accepted = std::move(conn);
      set_channel_full(s, true);
      return;
    }
  }
}

void InterceptServer::on_channel(Socket& s, std::uint32_t events) {
  if (s.kind == Socket::Kind::listener && s.channel_full && (events & EPOLLOUT) != 0) {
    const std::uint64_t id = s.id;
    set_channel_full(s, false);
    on_stack(s);
    if (sockets_.find(id) == sockets_.end()) return;
    if (s.kernel) on_kernel(s);
    if (sockets_.find(id) == sockets_.end()) return;
  }
  for (;;) {
    const ssize_t n =
        ::recv(s.channel.get(), buffer_.data(), buffer_.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) return close_socket(s.id);  // every process closed the program's end
    if (s.kind != Socket::Kind::datagram) {
      malformed_.fetch_add(1, std::memory_order_relaxed);  // nothing is sent on these
      continue;
    }
    const auto size = static_cast<std::size_t>(n);
    if (size < wire::kDatagramHeaderSize || size > buffer_.size()) {
      malformed_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    auto to = SocketAddress::parse(ByteSpan(buffer_).first(wire::kDatagramHeaderSize));
    if (!to) {
      malformed_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const ByteSpan payload =
        ByteSpan(buffer_).subspan(wire::kDatagramHeaderSize, size - wire::kDatagramHeaderSize);
    auto sent = *to ? s.sock->send_to(payload, to_endpoint(**to)) : s.sock->send(payload);
    if (!sent) datagrams_dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

void InterceptServer::do_option(Client& c, const InterceptRequest& q, ino_t ino) {
  std::shared_ptr<stack::Socket> sock;
  Stream* stream = nullptr;
  if (Socket* s = find(ino)) {
    sock = s->sock;
  } else if (auto it = streams_.find(ino); it != streams_.end()) {
    stream = &it->second;
    sock = stream->sock.lock();
  }
  if (!sock) return reply(c, error_reply(EBADF));
  auto option = option_of(q.level, q.name);
  if (!option) return reply(c, error_reply(ENOPROTOOPT));
  if (stream != nullptr && *option == stack::Option::no_delay) {
    InterceptReply r;  // recorded, not applied: see register_stream
    if (q.op == InterceptOp::set_option) stream->nodelay = q.value != 0;
    r.value = stream->nodelay ? 1 : 0;
    return reply(c, r);
  }
  if (*option == stack::Option::v6_only && sock->family() == stack::Family::v4) {
    // The program's IPv6 socket speaks IPv4 (a mapped address): not v6-only, and
    // as every socket here has an address, too late to change (Linux: EINVAL).
    return reply(c, q.op == InterceptOp::set_option ? error_reply(EINVAL) : InterceptReply{});
  }
  if (q.op == InterceptOp::set_option) {
    if (auto r = sock->set_option(*option, q.value); !r) return reply(c, error_reply(r.error()));
    return reply(c, InterceptReply{});
  }
  auto v = sock->get_option(*option);
  if (!v) return reply(c, error_reply(v.error()));
  InterceptReply r;
  r.value = *v;
  reply(c, r);
}

namespace {
wire::QueryKind kind_code(InterceptServer::SocketKind k) {
  switch (k) {
    case InterceptServer::SocketKind::bound: return wire::QueryKind::bound;
    case InterceptServer::SocketKind::listener: return wire::QueryKind::listener;
    case InterceptServer::SocketKind::datagram: return wire::QueryKind::datagram;
    case InterceptServer::SocketKind::connecting: return wire::QueryKind::stream;
  }
  return wire::QueryKind::stream;
}
}  // namespace

void InterceptServer::do_query(Client& c, ino_t ino) {
  InterceptReply r;
  if (Socket* s = find(ino)) {
    r.type = s->kind == Socket::Kind::datagram ? SocketType::datagram : SocketType::stream;
    r.ipv6 = s->ipv6;
    r.value = static_cast<std::int32_t>(kind_code(s->kind));
    r.local = local_of(*s->sock);
    r.peer = peer_of(*s->sock);
  } else if (auto it = streams_.find(ino); it != streams_.end()) {
    auto sock = it->second.sock.lock();
    if (!sock) return reply(c, error_reply(EBADF));
    r.type = SocketType::stream;
    r.ipv6 = it->second.ipv6;
    r.value = static_cast<std::int32_t>(wire::QueryKind::stream);
    r.local = local_of(*sock);
    r.peer = peer_of(*sock);
  } else {
    return reply(c, error_reply(EBADF));
  }
  reply(c, r);
}

}  // namespace weft::service
