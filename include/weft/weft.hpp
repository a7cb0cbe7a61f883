/// @file
/// Weft public C++ API: RAII, move-only handles over the C API (weft.h).
/// Errors are std::error_code in the generic (POSIX errno) category; every call
/// that can fail takes `std::error_code& ec` and clears it on success.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

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
  /// From the kernel's form (AF_INET or AF_INET6; anything else is an empty Address).
  static Address from(const sockaddr_storage& ss) noexcept {
    Address a;
    if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
      a.ss_ = ss;
      a.len_ = ss.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    }
    return a;
  }
  /// The IP as text ("10.147.17.3", "fd00::1"); empty for an empty Address.
  [[nodiscard]] std::string ip() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET) {
      sockaddr_in in{};
      std::memcpy(&in, &ss_, sizeof in);
      inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
    } else if (family() == AF_INET6) {
      sockaddr_in6 in6{};
      std::memcpy(&in6, &ss_, sizeof in6);
      inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf);
    }
    return buf;
  }
  /// The same IP with another port.
  [[nodiscard]] Address with_port(std::uint16_t port) const noexcept {
    Address a = *this;
    if (family() == AF_INET6) {
      sockaddr_in6 in6{};
      std::memcpy(&in6, &ss_, sizeof in6);
      in6.sin6_port = htons(port);
      std::memcpy(&a.ss_, &in6, sizeof in6);
    } else if (family() == AF_INET) {
      sockaddr_in in{};
      std::memcpy(&in, &ss_, sizeof in);
      in.sin_port = htons(port);
      std::memcpy(&a.ss_, &in, sizeof in);
    }
    return a;
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

/// Network ids as controllers print them: 16 hex digits.
inline std::optional<std::uint64_t> parse_network_id(std::string_view text) noexcept {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) return std::nullopt;
    v = (v << 4U) | static_cast<std::uint64_t>(d);
  }
  return v;
}

/// The calling thread's last error as text (weft_last_error).
inline std::string last_error_message() { return weft_last_error(); }

/// Where a node keeps its state when it has no state directory: override both.
/// Called on the thread of the Node call that needs it, never on the node's own.
class StateStorage {
 public:
  virtual ~StateStorage() = default;
  /// The object, or nullopt if it was never stored.
  virtual std::optional<std::string> get(const std::string& name) = 0;
  /// Stores the object whole; false fails the call that stored it.
  virtual bool put(const std::string& name, std::string_view content) = 0;
};

// Every member has an initializer, so a designated initializer may leave any of
// them out without GCC's -Wmissing-field-initializers (part of -Wextra).
/// What Node::create needs (weft_node_config).
struct NodeConfig {
  /// Roots, "<public identity>@<host:port>"; at least one.
  std::vector<std::string> roots{};
  /// State directory; empty: `storage`, or memory for the life of the Node.
  std::string state_dir{};
  /// Not owned; must outlive the Node. Used when state_dir is empty.
  StateStorage* storage = nullptr;
  /// Secret identity text for a first start; empty: the stored or a new one.
  std::string identity{};
  /// Local UDP endpoint; empty: "0.0.0.0:0".
  std::string bind{};
  /// Events kept before newer ones are counted as lost; 0: 256.
  std::size_t event_capacity = 0;
};

/// A node's event (weft_event).
struct Event {
  /// weft_event_kind's values.
  enum class Kind : int {
    root_registered = WEFT_EVENT_ROOT_REGISTERED,
    root_lost = WEFT_EVENT_ROOT_LOST,
    peer_direct = WEFT_EVENT_PEER_DIRECT,
    peer_relayed = WEFT_EVENT_PEER_RELAYED,
    peer_unreachable = WEFT_EVENT_PEER_UNREACHABLE,
    network_ready = WEFT_EVENT_NETWORK_READY,
    network_denied = WEFT_EVENT_NETWORK_DENIED,
    network_not_found = WEFT_EVENT_NETWORK_NOT_FOUND,
    address_assigned = WEFT_EVENT_ADDRESS_ASSIGNED,
    address_removed = WEFT_EVENT_ADDRESS_REMOVED,
    network_left = WEFT_EVENT_NETWORK_LEFT,
    events_lost = WEFT_EVENT_EVENTS_LOST,
  };
  Kind kind{};                ///< what happened
  std::uint64_t node = 0;     ///< the root, peer or controller concerned; 0: none
  std::uint64_t network = 0;  ///< the network concerned; 0: none
  Address address;            ///< an IP (port 0) or a UDP endpoint, by kind; may be empty
  int prefix_len = 0;         ///< address_*: the network's prefix length
  std::uint64_t lost = 0;     ///< events_lost: how many
};

class Node;

/// A joined network of a Node (a view: the Node must outlive it).
class Network {
 public:
  /// The network's id.
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  /// Waits up to `timeout` for an address of `family` (AF_INET/AF_INET6), see
  /// weft_node_wait_address for the errors.
  Address wait_for_address(int family, std::chrono::milliseconds timeout, std::error_code& ec) const noexcept {
    sockaddr_storage ss{};
    detail::set(ec, weft_node_wait_address(node_, id_, family, &ss, static_cast<int>(timeout.count())));
    return ec ? Address() : Address::from(ss);
  }
  /// The addresses this node has on the network now.
  [[nodiscard]] std::vector<Address> addresses() const {
    std::vector<sockaddr_storage> ss(8);
    int n = weft_node_addresses(node_, id_, ss.data(), static_cast<int>(ss.size()));
    if (n > static_cast<int>(ss.size())) {
      ss.resize(static_cast<std::size_t>(n));
      n = weft_node_addresses(node_, id_, ss.data(), n);
    }
    std::vector<Address> out;
    for (int i = 0; i < n && i < static_cast<int>(ss.size()); ++i) out.push_back(Address::from(ss[static_cast<std::size_t>(i)]));
    return out;
  }
  /// Leaves the network (the Node forgets it, also in its state).
  void leave(std::error_code& ec) noexcept { detail::set(ec, weft_node_leave(node_, id_)); }

 private:
  friend class Node;
  Network(weft_node* node, std::uint64_t id) noexcept : node_(node), id_(id) {}
  weft_node* node_;
  std::uint64_t id_;
};

/// This process's node (weft_node): one per process. Move-only; frees the
/// node (stopping it) when destroyed.
class Node {
 public:
  Node() = default;
  /// Takes over o's node (o is left empty).
  Node(Node&& o) noexcept : node_(std::exchange(o.node_, nullptr)), adapter_(std::move(o.adapter_)) {}
  /// Frees this object's node, then takes over o's.
  Node& operator=(Node&& o) noexcept {
    if (this != &o) {
      reset();
      node_ = std::exchange(o.node_, nullptr);
      adapter_ = std::move(o.adapter_);
    }
    return *this;
  }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node() { reset(); }

  /// Creates the node (not started); errors as weft_node_create, with
  /// last_error_message() saying more.
  static Node create(const NodeConfig& config, std::error_code& ec) {
    Node n;
    std::vector<const char*> roots;
    roots.reserve(config.roots.size());
    for (const auto& r : config.roots) roots.push_back(r.c_str());
    weft_node_config c{};
    c.version = WEFT_NODE_CONFIG_VERSION;
    c.state_dir = config.state_dir.empty() ? nullptr : config.state_dir.c_str();
    c.identity = config.identity.empty() ? nullptr : config.identity.c_str();
    c.roots = roots.data();
    c.root_count = roots.size();
    c.bind = config.bind.empty() ? nullptr : config.bind.c_str();
    c.event_capacity = config.event_capacity;
    if (config.state_dir.empty() && config.storage != nullptr) {
      n.adapter_ = std::make_unique<weft_state_callbacks>();
      *n.adapter_ = {WEFT_STATE_CALLBACKS_VERSION, config.storage, &get_object, &put_object};
      c.state = n.adapter_.get();
    }
    n.node_ = weft_node_create(&c);
    if (n.node_ == nullptr) {
      ec = detail::last_error();
      return {};
    }
    ec.clear();
    return n;
  }

  /// True if this object holds a node.
  explicit operator bool() const noexcept { return node_ != nullptr; }
  /// The C handle, for calls this class does not wrap.
  [[nodiscard]] weft_node* handle() const noexcept { return node_; }

  /// Starts the node (weft_node_start).
  void start(std::error_code& ec) noexcept { detail::set(ec, weft_node_start(node_)); }
  /// Stops the node; it may start again.
  void stop() noexcept { (void)weft_node_stop(node_); }
  /// The node's 40-bit address.
  [[nodiscard]] std::uint64_t address() const noexcept { return weft_node_address(node_); }
  /// The public identity text others need to authorize this node.
  [[nodiscard]] std::string public_identity() const {
    char buf[512] = {};
    return weft_node_public_identity(node_, buf, sizeof buf) < 0 ? std::string() : std::string(buf);
  }
  /// Joins a network (weft_node_join); the returned view waits for addresses.
  Network join(std::uint64_t network, std::error_code& ec) noexcept {
    detail::set(ec, weft_node_join(node_, network));
    return {node_, network};
  }
  /// A view of a joined network.
  [[nodiscard]] Network network(std::uint64_t network) const noexcept { return {node_, network}; }

  /// The oldest event, waiting up to `timeout` for one.
  std::optional<Event> next_event(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) noexcept {
    weft_event e{};
    if (weft_node_next_event(node_, &e, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    Event out;
    out.kind = static_cast<Event::Kind>(e.kind);
    out.node = e.node;
    out.network = e.network;
    out.address = Address::from(e.address);
    out.prefix_len = e.prefix_len;
    out.lost = e.lost;
    return out;
  }
  /// A kernel fd readable while events wait (for epoll loops).
  [[nodiscard]] int event_fd() const noexcept { return weft_node_event_fd(node_); }
  /// The node's counters.
  [[nodiscard]] weft_node_stats stats() const noexcept {
    weft_node_stats s{};
    (void)weft_node_get_stats(node_, &s, sizeof s);
    return s;
  }
  /// Every root and peer the node knows (roots first), with path, latency and traffic.
  [[nodiscard]] std::vector<weft_peer_stats> peers() const {
    std::vector<weft_peer_stats> out(16);
    int n = weft_node_peers(node_, out.data(), static_cast<int>(out.size()), sizeof(weft_peer_stats));
    if (n > static_cast<int>(out.size())) {
      out.resize(static_cast<std::size_t>(n));
      n = weft_node_peers(node_, out.data(), n, sizeof(weft_peer_stats));
    }
    out.resize(n < 0 ? 0 : std::min(out.size(), static_cast<std::size_t>(n)));
    return out;
  }

 private:
  void reset() noexcept {
    if (node_ != nullptr) weft_node_free(std::exchange(node_, nullptr));
  }
  static long get_object(void* user, const char* name, void* buf, size_t capacity) {
    try {
      auto v = static_cast<StateStorage*>(user)->get(name);
      if (!v) return WEFT_STATE_NOT_FOUND;
      if (v->size() <= capacity) std::memcpy(buf, v->data(), v->size());
      return static_cast<long>(v->size());
    } catch (...) {
      return -2;
    }
  }
  static int put_object(void* user, const char* name, const void* data, size_t len) {
    try {
      return static_cast<StateStorage*>(user)->put(name, std::string_view(static_cast<const char*>(data), len)) ? 0 : -1;
    } catch (...) {
      return -1;
    }
  }

  weft_node* node_ = nullptr;
  std::unique_ptr<weft_state_callbacks> adapter_;  // stable address for the node's calls
};

}  // namespace weft
