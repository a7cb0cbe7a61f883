#include "intercept/fd_registry.hpp"

#include <pthread.h>

namespace weft::intercept {

FdRegistry& FdRegistry::instance() {
  // Never destroyed: interposed calls may come during and after static
  // destruction (atexit handlers closing sockets).
  static FdRegistry* r = [] {
    auto* p = new FdRegistry;
    ::pthread_atfork([] { FdRegistry::instance().lock_for_fork(); },
                     [] { FdRegistry::instance().unlock_after_fork(); },
                     [] { FdRegistry::instance().unlock_after_fork(); });
    return p;
  }();
  return *r;
}

void FdRegistry::flags(int fd, const VirtualSocket* s) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= kFast) return;
  const auto i = static_cast<std::size_t>(fd);
  virtual_[i].store(s != nullptr, std::memory_order_release);
  datagram_[i].store(s != nullptr && s->kind == VirtualSocket::Kind::datagram,
                     std::memory_order_release);
}

std::optional<VirtualSocket> FdRegistry::get(int fd) {
  if (!any(fd)) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return std::nullopt;
  return it->second;
}

void FdRegistry::set(int fd, const VirtualSocket& s) {
  std::lock_guard lock(mu_);
  sockets_[fd] = s;
  flags(fd, &s);
}

std::optional<VirtualSocket> FdRegistry::take(int fd) {
  if (!any(fd)) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return std::nullopt;
  VirtualSocket s = it->second;
  sockets_.erase(it);
  flags(fd, nullptr);
  return s;
}

void FdRegistry::copy(int from, int to) {
  std::lock_guard lock(mu_);
  auto it = sockets_.find(from);
  if (it == sockets_.end()) return;
  VirtualSocket s = it->second;
  s.pending = -1;
  sockets_[to] = s;
  flags(to, &s);
}

}  // namespace weft::intercept
