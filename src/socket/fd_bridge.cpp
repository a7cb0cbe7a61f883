#include "socket/fd_bridge.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/bytes.hpp"

namespace weft::socket {

namespace {
constexpr std::size_t kScratch = 64 * 1024;
constexpr std::uint64_t kEventToken = 0;
}  // namespace

struct FdBridge::Link final : stack::Waker {
  FdBridge* bridge{nullptr};
  std::uint64_t id{0};
  std::shared_ptr<stack::Socket> sock;
  osdep::UniqueFd fd;  // the bridge's end
  std::vector<std::byte> leftover;  // app bytes the stack has not taken yet
  bool app_eof{false};        // the app shut its write side (we read 0)
  bool app_gone{false};       // writing to the app fails: it closed its end
  bool hup_seen{false};       // epoll saw both directions of the pair shut
  bool stack_eof_sent{false}; // we shut the pair's write side (stack EOF or error)
  std::atomic<bool> queued{false};

  void wake() noexcept override {
    if (!queued.exchange(true)) bridge->mark_ready(id);
  }
};

FdBridge::FdBridge(osdep::UniqueFd epoll, osdep::UniqueFd event, ReceivePumps* pumps) noexcept
    : epoll_(std::move(epoll)), event_(std::move(event)), pumps_(pumps), scratch_(kScratch) {}

Result<std::unique_ptr<FdBridge>> FdBridge::start(ReceivePumps* pumps) {
  osdep::UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return Error::io;
  osdep::UniqueFd ev(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!ev) return Error::io;
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u64 = kEventToken;
  if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, ev.get(), &e) != 0) return Error::io;
  std::unique_ptr<FdBridge> b(new FdBridge(std::move(ep), std::move(ev), pumps));
  b->thread_ = std::thread([p = b.get()] { p->run(); });
  return b;
}

FdBridge::~FdBridge() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  std::uint64_t one = 1;
  (void)!::write(event_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  for (auto& [id, link] : links_) {
    link->sock->unwatch(link.get());
    link->sock->close();
  }
  for (auto& link : incoming_) link->sock->close();
  links_.clear();
  track_links();
}

void FdBridge::track_links() noexcept {
  const bool forbid = !links_.empty();
  if (pumps_ == nullptr || forbid == forbidding_) return;
  pumps_->forbid_lingering(forbid);
  forbidding_ = forbid;
}

void FdBridge::mark_ready(std::uint64_t id) noexcept {
  {
    std::lock_guard lock(mu_);
    ready_.push_back(id);
  }
  std::uint64_t one = 1;
  (void)!::write(event_.get(), &one, sizeof one);
}

Result<int> FdBridge::adopt(std::shared_ptr<stack::Socket> socket) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return Error::io;
  osdep::UniqueFd app(pair[0]);
  WEFT_TRY(attach(std::move(socket), osdep::UniqueFd(pair[1])));
  return app.release();
}

Result<void> FdBridge::attach(std::shared_ptr<stack::Socket> socket, osdep::UniqueFd ours) {
  if (::fcntl(ours.get(), F_SETFL, ::fcntl(ours.get(), F_GETFL) | O_NONBLOCK) != 0) return Error::io;
  auto link = std::make_unique<Link>();
  link->bridge = this;
  link->sock = std::move(socket);
  link->fd = std::move(ours);
  {
    std::lock_guard lock(mu_);
    link->id = next_id_++;
    incoming_.push_back(std::move(link));
  }
  std::uint64_t one = 1;
  (void)!::write(event_.get(), &one, sizeof one);
  return {};
}

void FdBridge::run() {
  std::vector<epoll_event> events(64);
  std::vector<std::uint64_t> todo;
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno != EINTR) return;
    todo.clear();
    for (int i = 0; i < n; ++i) {
      std::uint64_t token = events[static_cast<std::size_t>(i)].data.u64;
      if (token == kEventToken) {
        std::uint64_t v = 0;
        (void)!::read(event_.get(), &v, sizeof v);
        continue;
      }
      if ((events[static_cast<std::size_t>(i)].events & EPOLLHUP) != 0) {
        auto it = links_.find(token);
        if (it != links_.end()) it->second->hup_seen = true;
      }
      todo.push_back(token);
    }
    std::vector<std::unique_ptr<Link>> fresh;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      todo.insert(todo.end(), ready_.begin(), ready_.end());
      ready_.clear();
      fresh.swap(incoming_);
    }
    for (auto& link : fresh) {
      epoll_event e{};
      e.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      e.data.u64 = link->id;
      if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, link->fd.get(), &e) != 0) {
        link->sock->close();
        continue;
      }
      std::uint64_t id = link->id;
      link->sock->watch(link.get());
      links_.emplace(id, std::move(link));
      todo.push_back(id);
    }
    std::sort(todo.begin(), todo.end());
    todo.erase(std::unique(todo.begin(), todo.end()), todo.end());
    for (std::uint64_t id : todo) {
      auto it = links_.find(id);
      if (it == links_.end()) continue;
      it->second->queued = false;  // before pumping: a wake during the pump re-queues
      pump(*it->second);
    }
    track_links();
  }
}

void FdBridge::pump(Link& l) {
  const int fd = l.fd.get();
  // stack -> app
  if (!l.stack_eof_sent) {
    bool app_closed = false;
    for (;;) {
      auto r = l.sock->recv_visit([&](ByteSpan s) -> std::size_t {
        ssize_t n = ::send(fd, s.data(), s.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
          if (errno != EAGAIN && errno != EWOULDBLOCK) app_closed = true;
          return 0;
        }
        return static_cast<std::size_t>(n);
      });
      if (r) {
        if (*r == 0) {  // end of stream
          ::shutdown(fd, SHUT_WR);
          l.stack_eof_sent = true;
          break;
        }
        continue;
      }
      if (r.error() != Error::would_block) {  // reset or error: the app sees EOF/EPIPE
        ::shutdown(fd, SHUT_RDWR);
        l.stack_eof_sent = true;
        l.app_gone = true;
      }
      break;
    }
    if (app_closed) l.app_gone = true;
  }
  // app -> stack. Read until the app's EOF even when it is gone, so bytes it
  // wrote before closing are still delivered.
  for (;;) {
    if (!l.leftover.empty()) {
      auto r = l.sock->send(l.leftover);
      if (!r) {
        if (r.error() == Error::would_block) break;
        l.leftover.clear();  // the connection is gone; so are these bytes
      } else {
        l.leftover.erase(l.leftover.begin(), l.leftover.begin() + static_cast<std::ptrdiff_t>(*r));
        if (!l.leftover.empty()) break;
      }
    }
    if (l.app_eof) break;
    ssize_t n = ::recv(fd, scratch_.data(), scratch_.size(), MSG_DONTWAIT);
    if (n > 0) {
      ByteSpan data(scratch_.data(), static_cast<std::size_t>(n));
      auto r = l.sock->send(data);
      std::size_t took = r ? *r : 0;
      if (r || r.error() == Error::would_block)
        l.leftover.assign(data.begin() + static_cast<std::ptrdiff_t>(took), data.end());
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    l.app_eof = true;  // 0, or an error: nothing more will come from the app
    (void)l.sock->shutdown(false, true);
  }
  bool done = l.leftover.empty() && l.app_eof && (l.stack_eof_sent || l.hup_seen || l.app_gone);
  if (done) finish(l.id);
}

void FdBridge::finish(std::uint64_t id) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  Link& l = *it->second;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, l.fd.get(), nullptr);
  l.sock->unwatch(&l);
  l.sock->close();
  links_.erase(it);
}

}  // namespace weft::socket
