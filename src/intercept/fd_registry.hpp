#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "wire/intercept_message.hpp"

namespace weft::intercept {

// What this process knows about one of its virtual sockets. The fd itself is
// an AF_UNIX socketpair end (docs/intercept.md); this is what the kernel
// cannot say about it.
struct VirtualSocket {
  enum class Kind : std::uint8_t { bound, listener, stream, datagram };
  Kind kind{Kind::stream};
  bool ipv6{false};  // the family the program asked for
  std::optional<wire::SocketAddress> local;
  std::optional<wire::SocketAddress> peer;  // stream; datagram once connected
  int pending{-1};  // non-blocking connect: the daemon connection the outcome comes on
  int so_error{0};  // the outcome, once read and until SO_ERROR reports it
};

// fd -> VirtualSocket for this process. Inherited by fork (a copy of memory);
// an exec'd program starts empty and learns about inherited sockets from the
// daemon (query). Thread-safe; the fork handlers keep the lock consistent.
class FdRegistry {
 public:
  static FdRegistry& instance();

  [[nodiscard]] std::optional<VirtualSocket> get(int fd);
  void set(int fd, const VirtualSocket& s);
  // Removes fd's entry; returns it (its pending connection is the caller's).
  std::optional<VirtualSocket> take(int fd);
  // dup: `to` becomes another name of `from`'s socket (without its pending).
  void copy(int from, int to);

  // The hot check of read/write/send/recv: is fd a virtual datagram socket?
  [[nodiscard]] bool is_datagram(int fd) const noexcept {
    return fd >= 0 && static_cast<std::size_t>(fd) < kFast &&
           datagram_[static_cast<std::size_t>(fd)].load(std::memory_order_acquire);
  }
  [[nodiscard]] bool any(int fd) const noexcept {
    return fd >= 0 && (static_cast<std::size_t>(fd) >= kFast ||
                       virtual_[static_cast<std::size_t>(fd)].load(std::memory_order_acquire));
  }

  void lock_for_fork() { mu_.lock(); }
  void unlock_after_fork() { mu_.unlock(); }

 private:
  static constexpr std::size_t kFast = 65'536;
  void flags(int fd, const VirtualSocket* s);

  std::mutex mu_;
  std::unordered_map<int, VirtualSocket> sockets_;
  std::atomic<bool> datagram_[kFast]{};
  std::atomic<bool> virtual_[kFast]{};
};

}  // namespace weft::intercept
