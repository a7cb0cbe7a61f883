/// @file
/// Weft public C++ API: RAII, move-only handles over the C API (weft.h).
/// Errors are std::error_code in the generic (POSIX errno) category; every call
/// that can fail takes `std::error_code& ec` and clears it on success.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include "weft/weft.h"

/// The Weft SDK.
namespace weft {

/// An IPv4 or IPv6 address and port, in the kernel's sockaddr form.
class Address {
 public:
  Address() = default;
  /// Numeric text only ("10.0.0.1", "fd00::1").
  static std::optional<Address> parse(const std::string& ip, std::uint16_t port) {
    Address a;
    sockaddr_in in{};
    sockaddr_in6 in6{};
    if (inet_pton(AF_INET, ip.c_str(), &in.sin_addr) == 1) {
      in.sin_family = AF_INET;
      in.sin_port = htons(port);
      std::memcpy(&a.ss_, &in, sizeof in);
      a.len_ = sizeof in;
      return a;
    }
    if (inet_pton(AF_INET6, ip.c_str(), &in6.sin6_addr) == 1) {
      in6.sin6_family = AF_INET6;
      in6.sin6_port = htons(port);
      std::memcpy(&a.ss_, &in6, sizeof in6);
      a.len_ = sizeof in6;
      return a;
    }
    return std::nullopt;
  }
  /// AF_INET, AF_INET6, or AF_UNSPEC when empty.
  [[nodiscard]] int family() const noexcept { return ss_.ss_family; }
  /// The port in host byte order.
  [[nodiscard]] std::uint16_t port() const noexcept {
    if (family() == AF_INET6) {
      sockaddr_in6 in6{};
      std::memcpy(&in6, &ss_, sizeof in6);
      return ntohs(in6.sin6_port);
    }
    sockaddr_in in{};
    std::memcpy(&in, &ss_, sizeof in);
    return ntohs(in.sin_port);
  }
  /// The sockaddr, for weft_* calls.
  [[nodiscard]] const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&ss_); }  // NOLINT
  /// The sockaddr, for weft_* calls that fill it in (after set_capacity()).
  [[nodiscard]] sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&ss_); }                    // NOLINT
  /// The length of the sockaddr.
  [[nodiscard]] socklen_t size() const noexcept { return len_; }
  /// The length, for weft_* calls that set it.
  socklen_t* size_ptr() noexcept { return &len_; }
  /// Makes the length the whole storage, before a call fills the address in.
  void set_capacity() noexcept { len_ = sizeof ss_; }

 private:
  sockaddr_storage ss_{};
  socklen_t len_{0};
};

namespace detail {
inline std::error_code last_error() noexcept { return {weft_errno, std::generic_category()}; }
inline void set(std::error_code& ec, int rc) noexcept {
  if (rc < 0) ec = last_error();
  else ec.clear();
}
}  // namespace detail

/// Owns one Weft descriptor; closes it once. Move-only.
class Socket {
 public:
  Socket() = default;
  /// Takes ownership of fd.
  explicit Socket(int fd) noexcept : fd_(fd) {}
  /// Takes o's descriptor; o is left empty.
  Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  /// Closes this descriptor and takes o's; o is left empty.
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { close(); }

  /// The descriptor (-1 when empty), still owned by this object.
  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// Whether this object holds a descriptor.
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  /// valid().
  explicit operator bool() const noexcept { return valid(); }
  /// Gives up ownership: returns the descriptor, which the caller must weft_close.
  int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the descriptor now (else the destructor does); errors are ignored.
  void close() noexcept {
    if (fd_ >= 0) weft_close(std::exchange(fd_, -1));
  }

  /// weft_setsockopt with an int value.
  void set_option(int level, int name, int value, std::error_code& ec) noexcept {
    detail::set(ec, weft_setsockopt(fd_, level, name, &value, sizeof value));
  }
  /// on: non-blocking mode (EAGAIN instead of waiting).
  void set_nonblocking(bool on, std::error_code& ec) noexcept {
    detail::set(ec, weft_set_nonblocking(fd_, on ? 1 : 0));
  }
  /// The bound local address (weft_getsockname).
  [[nodiscard]] Address local_address(std::error_code& ec) const noexcept {
    Address a;
    a.set_capacity();
    detail::set(ec, weft_getsockname(fd_, a.data(), a.size_ptr()));
    return a;
  }

 private:
  int fd_{-1};
};

/// A connected TCP stream.
class Stream : public Socket {
 public:
  Stream() = default;
  /// Takes ownership of a connected TCP descriptor.
  explicit Stream(int fd) noexcept : Socket(fd) {}

  /// Connects, waiting at most `timeout`.
  static Stream connect(const Address& to, std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    Stream s(weft_socket(to.family(), SOCK_STREAM, 0));
    if (!s) {
      ec = detail::last_error();
      return {};
    }
    detail::set(ec, weft_connect_timeout(s.fd(), to.data(), to.size(), static_cast<int>(timeout.count())));
    if (ec) return {};
    return s;
  }
  /// Bytes sent (all of them when blocking), 0 on error.
  std::size_t send(std::span<const std::byte> data, std::error_code& ec) noexcept {
    ssize_t n = weft_send(fd(), data.data(), data.size(), 0);
    detail::set(ec, n < 0 ? -1 : 0);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
  }
  /// Bytes received; 0 with no error is end of stream.
  std::size_t recv(std::span<std::byte> buffer, std::error_code& ec) noexcept {
    ssize_t n = weft_recv(fd(), buffer.data(), buffer.size(), 0);
    detail::set(ec, n < 0 ? -1 : 0);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
  }
  /// Sends end of stream; receiving still works.
  void shutdown_write(std::error_code& ec) noexcept { detail::set(ec, weft_shutdown(fd(), SHUT_WR)); }
  /// The connected peer's address (weft_getpeername).
  [[nodiscard]] Address peer_address(std::error_code& ec) const noexcept {
    Address a;
    a.set_capacity();
    detail::set(ec, weft_getpeername(fd(), a.data(), a.size_ptr()));
    return a;
  }
  /// fd mode: gives up this stream for a kernel fd (AF_UNIX socketpair end) the
  /// caller owns. The Stream is empty afterwards, even on error.
  int export_fd(std::error_code& ec) noexcept {
    int k = weft_export_fd(release());
    detail::set(ec, k);
    return k;
  }
};

/// A listening TCP socket.
class Listener : public Socket {
 public:
  Listener() = default;
  /// Takes ownership of a listening TCP descriptor.
  explicit Listener(int fd) noexcept : Socket(fd) {}

  /// Binds to `at` (port 0: an ephemeral one) and listens (backlog: weft_listen).
  static Listener listen(const Address& at, int backlog, std::error_code& ec) noexcept {
    Listener l(weft_socket(at.family(), SOCK_STREAM, 0));
    if (!l) {
      ec = detail::last_error();
      return {};
    }
    detail::set(ec, weft_bind(l.fd(), at.data(), at.size()));
    if (!ec) detail::set(ec, weft_listen(l.fd(), backlog));
    if (ec) return {};
    return l;
  }
  /// The next connection, waiting for one unless non-blocking.
  Stream accept(std::error_code& ec) noexcept {
    int c = weft_accept(fd(), nullptr, nullptr);
    detail::set(ec, c);
    return c < 0 ? Stream() : Stream(c);
  }
};

/// A UDP socket.
class Datagram : public Socket {
 public:
  Datagram() = default;
  /// Takes ownership of a UDP descriptor.
  explicit Datagram(int fd) noexcept : Socket(fd) {}

  /// A UDP socket bound to `at` (port 0: an ephemeral one).
  static Datagram bind(const Address& at, std::error_code& ec) noexcept {
    Datagram d(weft_socket(at.family(), SOCK_DGRAM, 0));
    if (!d) {
      ec = detail::last_error();
      return {};
    }
    detail::set(ec, weft_bind(d.fd(), at.data(), at.size()));
    if (ec) return {};
    return d;
  }
  /// Sends one datagram to `to`; bytes sent, 0 on error.
  std::size_t send_to(std::span<const std::byte> data, const Address& to, std::error_code& ec) noexcept {
    ssize_t n = weft_sendto(fd(), data.data(), data.size(), 0, to.data(), to.size());
    detail::set(ec, n < 0 ? -1 : 0);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
  }
  /// One datagram (truncated to the buffer); `from` is its sender.
  std::size_t recv_from(std::span<std::byte> buffer, Address& from, std::error_code& ec) noexcept {
    from.set_capacity();
    ssize_t n = weft_recvfrom(fd(), buffer.data(), buffer.size(), 0, from.data(), from.size_ptr());
    detail::set(ec, n < 0 ? -1 : 0);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
  }
};

}  // namespace weft
