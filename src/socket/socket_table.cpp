#include "socket/socket_table.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>  // TCP_NODELAY etc. (never beside lwIP headers: see stack/lwip)
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "socket/errno_map.hpp"
#include "socket/fd_bridge.hpp"
#include "socket/pumping_waker.hpp"
#include "socket/sockaddr.hpp"

namespace weft::socket {

using Clock = std::chrono::steady_clock;
using stack::Events;

struct SocketTable::Entry {
  // Shared with the fd-mode bridge after export_fd, so a call still running on
  // the old descriptor keeps a live socket.
  std::shared_ptr<stack::Socket> sock;
  int type{SOCK_STREAM};
  std::atomic<bool> nonblocking{false};
  std::mutex mu;  // guards the options below
  std::optional<Millis> rcvtimeo;
  std::optional<Millis> sndtimeo;
  bool linger_on{false};
  int linger_s{0};
};

namespace {

std::optional<Clock::time_point> deadline_after(std::optional<SocketTable::Millis> t) {
  if (!t) return std::nullopt;
  return Clock::now() + *t;
}

// Runs op until it stops saying would_block, sleeping on the socket's readiness
// between tries (the Waker is registered before each re-check, so no wake-up is
// lost). Gives up at the deadline with the last result.
template <typename Op>
auto wait_while_blocked(stack::StackDriver& stack, ReceivePumps& pumps, PumpingWaker::For waits_for,
                        stack::Socket& s, bool nonblocking,
                        std::optional<Clock::time_point> deadline, Op op) -> decltype(op()) {
  auto r = op();
  if (nonblocking || r || r.error() != Error::would_block) return r;
  PumpingWaker waker(&pumps, &stack, waits_for);
  s.watch(&waker);
  for (;;) {
    r = op();
    if (r || r.error() != Error::would_block) break;
    if (!waker.wait_until(deadline)) {
      r = op();
      break;
    }
  }
  s.unwatch(&waker);
  return r;
}

// Waits until any of `mask` is set in s.events(); false at the deadline.
bool wait_events(stack::StackDriver& stack, ReceivePumps* pumps, stack::Socket& s,
                 std::uint32_t mask, std::optional<Clock::time_point> deadline) {
  if ((s.events() & mask) != 0) return true;
  PumpingWaker waker(pumps, &stack);
  s.watch(&waker);
  bool ok = true;
  while ((s.events() & mask) == 0) {
    if (!waker.wait_until(deadline)) {
      ok = (s.events() & mask) != 0;
      break;
    }
  }
  s.unwatch(&waker);
  return ok;
}

Result<int> read_int(const void* value, socklen_t len) {
  if (value == nullptr || len < static_cast<socklen_t>(sizeof(int))) return Error::invalid_argument;
  int v = 0;
  std::memcpy(&v, value, sizeof v);
  return v;
}

Result<void> write_bytes(void* value, socklen_t* len, const void* src, socklen_t size) {
  if (value == nullptr || len == nullptr) return Error::invalid_argument;
  std::memcpy(value, src, std::min(*len, size));
  *len = std::min(*len, size);
  return {};
}

Result<void> write_int(void* value, socklen_t* len, int v) {
  return write_bytes(value, len, &v, sizeof v);
}

Result<std::optional<SocketTable::Millis>> read_timeval(const void* value, socklen_t len) {
  if (value == nullptr || len < static_cast<socklen_t>(sizeof(timeval)))
    return Error::invalid_argument;
  timeval tv{};
  std::memcpy(&tv, value, sizeof tv);
  if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1'000'000) return Error::invalid_argument;
  if (tv.tv_sec == 0 && tv.tv_usec == 0) return std::optional<SocketTable::Millis>{};
  auto ms = SocketTable::Millis(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
  return std::optional<SocketTable::Millis>{ms};
}

timeval to_timeval(std::optional<SocketTable::Millis> t) {
  timeval tv{};
  if (t) {
    tv.tv_sec = static_cast<time_t>(t->count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t->count() % 1000) * 1000);
  }
  return tv;
}

// An address of the other family than the socket's (a sockaddr_in given to an
// IPv6 socket; IPv4 reaches a dual-stack one as an IPv4-mapped sockaddr_in6), as
// Linux answers it for an IPv6-only socket or one bound to an IPv6 address:
//                     IPv4 socket     IPv6 socket given a sockaddr_in
//   bind, TCP connect  EAFNOSUPPORT    EINVAL if shorter than sockaddr_in6 (the
//                                      length is checked first), else EAFNOSUPPORT
//   UDP connect        EAFNOSUPPORT    EAFNOSUPPORT
//   sendto             EAFNOSUPPORT    ENETUNREACH
enum class AddressUse { bind, connect, sendto };

Result<void> check_family(stack::Family socket_family, int type, AddressUse use,
                          const stack::Endpoint& ep, socklen_t len) {
  if (ep.address.family == socket_family) return {};
  if (socket_family == stack::Family::v4) return Error::family_not_supported;
  if (use == AddressUse::sendto) return Error::network_unreachable;
  if (use == AddressUse::connect && type == SOCK_DGRAM) return Error::family_not_supported;
  if (len < static_cast<socklen_t>(sizeof(sockaddr_in6))) return Error::invalid_argument;
  return Error::family_not_supported;
}

short to_poll(std::uint32_t ev) {
  int r = 0;
  if ((ev & Events::readable) != 0) r |= POLLIN | POLLRDNORM;
  if ((ev & Events::writable) != 0) r |= POLLOUT | POLLWRNORM;
  if ((ev & Events::error) != 0) r |= POLLERR;
  if ((ev & Events::hangup) != 0) r |= POLLHUP;
  if ((ev & Events::read_hangup) != 0) r |= POLLRDHUP;
  return static_cast<short>(r);
}

}  // namespace

SocketTable::SocketTable(stack::StackDriver& driver, std::size_t max_sockets,
                         std::chrono::microseconds receiver_linger)
    : driver_(driver), max_(max_sockets), pumps_(receiver_linger) {}

SocketTable::~SocketTable() {
  std::vector<std::shared_ptr<Entry>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(slots_);
  }
  for (auto& e : all)
    if (e) e->sock->close();
  std::lock_guard lock(bridge_mu_);
  bridge_.reset();
}

std::shared_ptr<SocketTable::Entry> SocketTable::get(int fd) {
  std::lock_guard lock(mu_);
  if (fd < 0 || static_cast<std::size_t>(fd) >= slots_.size()) return nullptr;
  return slots_[static_cast<std::size_t>(fd)];
}

Result<int> SocketTable::insert(std::unique_ptr<stack::Socket> s, int type, bool nonblocking) {
  auto e = std::make_shared<Entry>();
  e->sock = std::move(s);
  e->type = type;
  e->nonblocking = nonblocking;
  std::lock_guard lock(mu_);
  // The lowest free descriptor, as POSIX hands out.
  auto it = std::find(slots_.begin(), slots_.end(), nullptr);
  if (it != slots_.end()) {
    *it = std::move(e);
    return static_cast<int>(it - slots_.begin());
  }
  if (slots_.size() >= max_) return Error::no_buffer;  // EMFILE-like; documented as ENOBUFS
  slots_.push_back(std::move(e));
  return static_cast<int>(slots_.size() - 1);
}

Result<int> SocketTable::open(int domain, int type, int protocol) {
  stack::Family family{};
  if (domain == AF_INET)
    family = stack::Family::v4;
  else if (domain == AF_INET6)
    family = stack::Family::v6;
  else
    return Error::unsupported;
  bool nb = (type & SOCK_NONBLOCK) != 0;
  int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  stack::Transport t{};
  if (base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
    t = stack::Transport::tcp;
  else if (base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
    t = stack::Transport::udp;
  else
    return Error::unsupported;
  auto s = driver_.open(t, family);
  if (!s) return s.error();
  return insert(std::move(s).value(), base, nb);
}

Result<void> SocketTable::bind(int fd, const sockaddr* addr, socklen_t len) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  auto ep = from_sockaddr(addr, len);
  if (!ep) return ep.error();
  WEFT_TRY(check_family(e->sock->family(), e->type, AddressUse::bind, *ep, len));
  return e->sock->bind(*ep);
}

Result<void> SocketTable::listen(int fd, int backlog) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  if (e->type != SOCK_STREAM) return Error::unsupported;
  return e->sock->listen(backlog);
}

Result<int> SocketTable::accept(int fd, sockaddr* addr, socklen_t* len, int flags) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  if (e->type != SOCK_STREAM) return Error::unsupported;
  if ((addr == nullptr) != (len == nullptr)) return Error::invalid_argument;
  std::optional<Millis> timeout;
  {
    std::lock_guard lock(e->mu);
    timeout = e->rcvtimeo;
  }
  stack::Endpoint peer;
  auto s = wait_while_blocked(driver_, pumps_, PumpingWaker::For::input, *e->sock, e->nonblocking,
                              deadline_after(timeout), [&] { return e->sock->accept(&peer); });
  if (!s) return s.error();
  std::unique_ptr<stack::Socket> child = std::move(s).value();
  // Filled in even when the connection was reset while queued (Linux does).
  if (addr != nullptr) WEFT_TRY(to_sockaddr(peer, addr, len));
  return insert(std::move(child), SOCK_STREAM, (flags & SOCK_NONBLOCK) != 0);
}

Result<void> SocketTable::connect(int fd, const sockaddr* addr, socklen_t len,
                                  std::optional<Millis> timeout) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  auto ep = from_sockaddr(addr, len);
  if (!ep) return ep.error();
  WEFT_TRY(check_family(e->sock->family(), e->type, AddressUse::connect, *ep, len));
  auto r = e->sock->connect(*ep);
  if (e->type != SOCK_STREAM || r || r.error() != Error::in_progress) return r;
  if (e->nonblocking && !timeout) return Error::in_progress;
  if (!timeout) {
    std::lock_guard lock(e->mu);
    timeout = e->sndtimeo;
  }
  if (!wait_events(driver_, &pumps_, *e->sock, Events::writable | Events::error | Events::hangup,
                   deadline_after(timeout))) {
    e->sock->abort();
    return Error::timed_out;
  }
  if (auto err = e->sock->take_error(); !err) return err.error();
  if (auto peer = e->sock->peer_endpoint(); peer) return {};
  // Connected and already gone (reset) between the two checks.
  if (auto err = e->sock->take_error(); !err) return err.error();
  return Error::connection_aborted;
}

Result<std::size_t> SocketTable::send(int fd, ByteSpan data, int flags) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  bool nb = e->nonblocking || (flags & MSG_DONTWAIT) != 0;
  if (e->type == SOCK_DGRAM) return e->sock->send(data);
  std::optional<Millis> timeout;
  {
    std::lock_guard lock(e->mu);
    timeout = e->sndtimeo;
  }
  auto deadline = deadline_after(timeout);
  std::size_t total = 0;
  for (;;) {
    auto r = wait_while_blocked(driver_, pumps_, PumpingWaker::For::acks, *e->sock, nb, deadline,
                                [&] { return e->sock->send(data.subspan(total)); });
    if (!r) {
      if (total > 0) return total;
      return r.error();
    }
    total += *r;
    // Blocking stream sockets send everything, as BSD does.
    if (total == data.size() || nb) return total;
  }
}

Result<std::size_t> SocketTable::recv(int fd, MutableByteSpan buffer, int flags) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  bool nb = e->nonblocking || (flags & MSG_DONTWAIT) != 0;
  bool peek = (flags & MSG_PEEK) != 0;
  bool trunc = (flags & MSG_TRUNC) != 0;
  if (e->type == SOCK_STREAM) {
    // Linux's MSG_TRUNC on a stream discards the bytes; not offered (weft.h).
    if (trunc) return Error::unsupported;
    if (buffer.empty()) {
      // A zero-length read never waits: the state checks and a pending error
      // come first, otherwise 0 (as Linux).
      auto r = e->sock->recv(buffer, peek, nullptr);
      if (!r && r.error() == Error::would_block) return std::size_t{0};
      return r;
    }
  }
  std::optional<Millis> timeout;
  {
    std::lock_guard lock(e->mu);
    timeout = e->rcvtimeo;
  }
  auto deadline = deadline_after(timeout);
  if (e->type == SOCK_DGRAM) {
    std::size_t size = 0;
    auto r = wait_while_blocked(driver_, pumps_, PumpingWaker::For::input, *e->sock, nb, deadline,
                                [&] { return e->sock->recv(buffer, peek, &size); });
    if (r && trunc) return size;  // the datagram's real length, as Linux's MSG_TRUNC
    return r;
  }
  std::size_t total = 0;
  for (;;) {
    auto r =
        wait_while_blocked(driver_, pumps_, PumpingWaker::For::input, *e->sock, nb, deadline,
                           [&] { return e->sock->recv(buffer.subspan(total), peek, nullptr); });
    if (!r) {
      if (total > 0) return total;
      return r.error();
    }
    total += *r;
    bool waitall = (flags & MSG_WAITALL) != 0 && !peek && e->type == SOCK_STREAM;
    if (!waitall || *r == 0 || total == buffer.size()) return total;
  }
}

Result<std::size_t> SocketTable::sendto(int fd, ByteSpan data, int flags, const sockaddr* addr,
                                        socklen_t len) {
  if (addr == nullptr) return send(fd, data, flags);
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  if (e->type == SOCK_STREAM) return send(fd, data, flags);  // address ignored, as BSD
  auto ep = from_sockaddr(addr, len);
  if (!ep) return ep.error();
  WEFT_TRY(check_family(e->sock->family(), e->type, AddressUse::sendto, *ep, len));
  return e->sock->send_to(data, *ep);
}

Result<std::size_t> SocketTable::recvfrom(int fd, MutableByteSpan buffer, int flags, sockaddr* addr,
                                          socklen_t* len) {
  if (addr == nullptr) return recv(fd, buffer, flags);
  if (len == nullptr) return Error::invalid_argument;
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  if (e->type == SOCK_STREAM) {
    auto r = recv(fd, buffer, flags);
    if (r) {
      if (auto peer = e->sock->peer_endpoint(); peer) WEFT_TRY(to_sockaddr(*peer, addr, len));
    }
    return r;
  }
  bool nb = e->nonblocking || (flags & MSG_DONTWAIT) != 0;
  std::optional<Millis> timeout;
  {
    std::lock_guard lock(e->mu);
    timeout = e->rcvtimeo;
  }
  stack::Endpoint from;
  std::size_t size = 0;
  auto r = wait_while_blocked(driver_, pumps_, PumpingWaker::For::input, *e->sock, nb,
                              deadline_after(timeout),
                              [&] { return e->sock->recv_from(buffer, from, &size); });
  if (!r) return r;
  WEFT_TRY(to_sockaddr(from, addr, len));
  if ((flags & MSG_TRUNC) != 0) return size;
  return r;
}

Result<void> SocketTable::shutdown(int fd, int how) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return Error::invalid_argument;
  return e->sock->shutdown(how != SHUT_WR, how != SHUT_RD);
}

Result<void> SocketTable::close_entry(Entry& e) {
  bool linger_on = false;
  int linger_s = 0;
  {
    std::lock_guard lock(e.mu);
    linger_on = e.linger_on;
    linger_s = e.linger_s;
  }
  if (linger_on && linger_s == 0) {
    e.sock->abort();
    return {};
  }
  if (linger_on && e.type == SOCK_STREAM && !e.nonblocking) {
    // Wait (bounded) until the peer acknowledged everything, then close.
    (void)e.sock->shutdown(false, true);
    auto deadline = Clock::now() + std::chrono::seconds(linger_s);
    PumpingWaker waker(&pumps_, &driver_, PumpingWaker::For::acks);
    e.sock->watch(&waker);
    for (;;) {
      auto q = e.sock->get_option(stack::Option::send_queued);
      if (!q || *q == 0 || (e.sock->events() & (Events::error | Events::hangup)) != 0) break;
      if (!waker.wait_until(deadline)) break;
    }
    e.sock->unwatch(&waker);
  }
  e.sock->close();
  return {};
}

Result<void> SocketTable::close(int fd) {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mu_);
    if (fd < 0 || static_cast<std::size_t>(fd) >= slots_.size() ||
        !slots_[static_cast<std::size_t>(fd)])
      return Error::bad_handle;
    e = std::move(slots_[static_cast<std::size_t>(fd)]);
  }
  return close_entry(*e);
}

Result<void> SocketTable::setsockopt(int fd, int level, int name, const void* value,
                                     socklen_t len) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  stack::Socket& s = *e->sock;
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_RCVTIMEO:
      case SO_SNDTIMEO: {
        auto t = read_timeval(value, len);
        if (!t) return t.error();
        std::lock_guard lock(e->mu);
        (name == SO_RCVTIMEO ? e->rcvtimeo : e->sndtimeo) = *t;
        return {};
      }
      case SO_LINGER: {
        if (value == nullptr || len < static_cast<socklen_t>(sizeof(linger)))
          return Error::invalid_argument;
        linger l{};
        std::memcpy(&l, value, sizeof l);
        if (l.l_linger < 0) return Error::invalid_argument;
        std::lock_guard lock(e->mu);
        e->linger_on = l.l_onoff != 0;
        e->linger_s = l.l_linger;
        return {};
      }
      case SO_REUSEADDR:
      case SO_KEEPALIVE:
      case SO_RCVBUF:
      case SO_SNDBUF: {
        auto v = read_int(value, len);
        if (!v) return v.error();
        auto opt = name == SO_REUSEADDR   ? stack::Option::reuse_addr
                   : name == SO_KEEPALIVE ? stack::Option::keep_alive
                   : name == SO_RCVBUF    ? stack::Option::recv_buffer
                                          : stack::Option::send_buffer;
        return s.set_option(opt, *v);
      }
      default: return Error::unsupported;
    }
  }
  if (level == IPPROTO_TCP && e->type == SOCK_STREAM) {
    auto v = read_int(value, len);
    if (!v) return v.error();
    switch (name) {
      case TCP_NODELAY: return s.set_option(stack::Option::no_delay, *v);
      case TCP_KEEPIDLE: return s.set_option(stack::Option::keep_idle_s, *v);
      case TCP_KEEPINTVL: return s.set_option(stack::Option::keep_interval_s, *v);
      case TCP_KEEPCNT: return s.set_option(stack::Option::keep_count, *v);
      default: return Error::unsupported;
    }
  }
  if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) {
    auto v = read_int(value, len);
    if (!v) return v.error();
    return s.set_option(stack::Option::v6_only, *v);
  }
  return Error::unsupported;
}

Result<void> SocketTable::getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  if (value == nullptr || len == nullptr) return Error::invalid_argument;
  stack::Socket& s = *e->sock;
  auto int_option = [&](stack::Option o) -> Result<void> {
    auto v = s.get_option(o);
    if (!v) return v.error();
    return write_int(value, len, *v);
  };
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_ERROR: {
        auto err = s.take_error();
        return write_int(value, len, err ? 0 : to_errno(err.error()));
      }
      case SO_TYPE: return write_int(value, len, e->type);
      case SO_DOMAIN:
        return write_int(value, len, s.family() == stack::Family::v4 ? AF_INET : AF_INET6);
      case SO_RCVTIMEO:
      case SO_SNDTIMEO: {
        timeval tv{};
        {
          std::lock_guard lock(e->mu);
          tv = to_timeval(name == SO_RCVTIMEO ? e->rcvtimeo : e->sndtimeo);
        }
        return write_bytes(value, len, &tv, sizeof tv);
      }
      case SO_LINGER: {
        linger l{};
        {
          std::lock_guard lock(e->mu);
          l.l_onoff = e->linger_on ? 1 : 0;
          l.l_linger = e->linger_s;
        }
        return write_bytes(value, len, &l, sizeof l);
      }
      case SO_REUSEADDR: return int_option(stack::Option::reuse_addr);
      case SO_KEEPALIVE: return int_option(stack::Option::keep_alive);
      case SO_RCVBUF: return int_option(stack::Option::recv_buffer);
      case SO_SNDBUF: return int_option(stack::Option::send_buffer);
      default: return Error::unsupported;
    }
  }
  if (level == IPPROTO_TCP && e->type == SOCK_STREAM) {
    switch (name) {
      case TCP_NODELAY: return int_option(stack::Option::no_delay);
      case TCP_KEEPIDLE: return int_option(stack::Option::keep_idle_s);
      case TCP_KEEPINTVL: return int_option(stack::Option::keep_interval_s);
      case TCP_KEEPCNT: return int_option(stack::Option::keep_count);
      default: return Error::unsupported;
    }
  }
  if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) return int_option(stack::Option::v6_only);
  return Error::unsupported;
}

Result<void> SocketTable::getsockname(int fd, sockaddr* addr, socklen_t* len) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  auto ep = e->sock->local_endpoint();
  if (!ep) return ep.error();
  return to_sockaddr(*ep, addr, len);
}

Result<void> SocketTable::getpeername(int fd, sockaddr* addr, socklen_t* len) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  auto ep = e->sock->peer_endpoint();
  if (!ep) return ep.error();
  return to_sockaddr(*ep, addr, len);
}

Result<void> SocketTable::set_nonblocking(int fd, bool on) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  e->nonblocking = on;
  return {};
}

Result<bool> SocketTable::nonblocking(int fd) {
  auto e = get(fd);
  if (!e) return Error::bad_handle;
  return e->nonblocking.load();
}

Result<int> SocketTable::poll(pollfd* fds, std::size_t count, int timeout_ms) {
  if (fds == nullptr && count != 0) return Error::invalid_argument;
  std::vector<std::shared_ptr<Entry>> entries(count);
  for (std::size_t i = 0; i < count; ++i) entries[i] = fds[i].fd < 0 ? nullptr : get(fds[i].fd);
  auto scan = [&] {
    int ready = 0;
    for (std::size_t i = 0; i < count; ++i) {
      short rev = 0;
      if (fds[i].fd < 0) {
        rev = 0;
      } else if (!entries[i]) {
        rev = POLLNVAL;
      } else {
        short ev = to_poll(entries[i]->sock->events());
        rev = static_cast<short>(ev & (fds[i].events | POLLERR | POLLHUP));
      }
      fds[i].revents = rev;
      if (rev != 0) ++ready;
    }
    return ready;
  };
  int ready = scan();
  if (ready > 0 || timeout_ms == 0) return ready;
  std::optional<Clock::time_point> deadline;
  if (timeout_ms > 0) deadline = Clock::now() + Millis(timeout_ms);
  PumpingWaker waker(&pumps_, &driver_);
  for (auto& e : entries)
    if (e) e->sock->watch(&waker);
  for (;;) {
    ready = scan();
    if (ready > 0) break;
    if (!waker.wait_until(deadline)) {
      ready = scan();
      break;
    }
  }
  for (auto& e : entries)
    if (e) e->sock->unwatch(&waker);
  return ready;
}

Result<int> SocketTable::export_fd(int fd) {
  {
    std::lock_guard lock(bridge_mu_);
    if (!bridge_) {
      auto b = FdBridge::start(&pumps_);
      if (!b) return b.error();
      bridge_ = std::move(b).value();
    }
  }
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mu_);
    if (fd < 0 || static_cast<std::size_t>(fd) >= slots_.size() ||
        !slots_[static_cast<std::size_t>(fd)])
      return Error::bad_handle;
    auto& slot = slots_[static_cast<std::size_t>(fd)];
    if (slot->type != SOCK_STREAM) return Error::unsupported;
    if (!slot->sock->peer_endpoint()) return Error::not_connected;
    e = std::move(slot);
  }
  std::lock_guard lock(bridge_mu_);
  auto k = bridge_->adopt(e->sock);
  if (!k) e->sock->close();  // the descriptor is gone either way
  return k;
}

}  // namespace weft::socket
