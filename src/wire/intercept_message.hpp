#pragma once

// The intercept protocol (docs/intercept.md): what libweft-preload.so and
// weftd's intercept server say to each other over AF_UNIX SOCK_SEQPACKET.
// Every message is fixed-size (a request or reply may carry one fd with
// SCM_RIGHTS); an info reply is followed by prefix records. All integers are
// big-endian. Both ends parse what the other sends: the daemon must survive
// any bytes a program writes, the preload any bytes a wrong peer sends.
//
// Socket address (20 bytes):
//   0  1  family   0 none, 4 IPv4, 6 IPv6
//   1  1  reserved zero
//   2  2  port
//   4 16  address  IPv4 in the first 4 bytes, the rest zero

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft::wire {

inline constexpr std::uint8_t kInterceptVersion = 1;

struct SocketAddress {
  bool ipv6{false};
  std::uint16_t port{0};
  ByteArray<16> bytes{};  // IPv4 in the first 4

  static constexpr std::size_t kSize = 20;
  // nullopt for "none" (family 0).
  static Result<std::optional<SocketAddress>> parse(ByteSpan b) noexcept;
  static void emit(const std::optional<SocketAddress>& a, MutableByteSpan out) noexcept;
  bool operator==(const SocketAddress&) const = default;
};

enum class InterceptOp : std::uint8_t {
  info = 1,        // -> reply + prefix records: what addresses are virtual
  bind = 2,        // address [+ fd: kernel socket, kAlsoKernel] -> reply + fd: a bound
                   //   virtual socket (stream: not yet listening or connected; dgram:
                   //   its data channel)
  listen = 3,      // fd (bound) + backlog -> reply + fd: the listener's channel
  connect = 4,     // [fd (bound)] + address -> reply + fd: stream: the connection
                   //   (non-blocking: EINPROGRESS now, a second reply later);
                   //   dgram (fd required): reply, no fd
  set_option = 5,  // fd + level/name/value -> reply
  get_option = 6,  // fd + level/name -> reply.value
  query = 7,       // fd -> reply: type, family, local, peer
  shutdown = 8,    // fd (listener) -> reply
  resolve = 9,     // the request then a name (ResolveName) -> ResolveAnswer
};

enum class SocketType : std::uint8_t { stream = 1, datagram = 2 };

// Options read off the program's kernel socket when it becomes virtual.
inline constexpr std::uint32_t kOptReuseAddr = 1u << 0;
inline constexpr std::uint32_t kOptNoDelay = 1u << 1;
inline constexpr std::uint32_t kOptKeepAlive = 1u << 2;
inline constexpr std::uint32_t kOptV6Only = 1u << 3;  // IPV6_V6ONLY on an IPv6 socket
inline constexpr std::uint32_t kOptAll = kOptReuseAddr | kOptNoDelay | kOptKeepAlive | kOptV6Only;

// Request (64 bytes):
//   0  1  version   1
//   1  1  op        InterceptOp
//   2  1  type      SocketType
//   3  1  flags     bit 0: non-blocking (connect); bit 1: also kernel (bind:
//                   the fd passed is the program's kernel TCP socket, bound to
//                   the same wildcard address and port, to listen on as well)
//   4  1  family    the program's socket: 4 or 6
//   5  3  reserved  zero
//   8 20  address   SocketAddress (bind, connect)
//  28  4  level     option level (set/get_option); backlog (listen)
//  32  4  name      option name
//  36  4  value     option value (set_option)
//  40  4  options   kOpt* bits (bind, connect)
//  44 20  reserved  zero
struct InterceptRequest {
  static constexpr std::uint8_t kNonBlocking = 1;
  static constexpr std::uint8_t kAlsoKernel = 2;
  static constexpr std::size_t kSize = 64;

  InterceptOp op{InterceptOp::info};
  SocketType type{SocketType::stream};
  std::uint8_t flags{0};
  bool ipv6{false};
  std::optional<SocketAddress> address;
  std::int32_t level{0};
  std::int32_t name{0};
  std::int32_t value{0};
  std::uint32_t options{0};

  static Result<InterceptRequest> parse(ByteSpan b) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return kSize; }
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const InterceptRequest&) const = default;
};

// What a query says the socket is.
enum class QueryKind : std::int32_t { bound = 1, listener = 2, stream = 3, datagram = 4 };

// Reply (64 bytes):
//   0  1  version   1
//   1  1  type      SocketType of the socket asked about (query), else 0
//   2  1  family    4 or 6 (query), else 0
//   3  1  reserved  zero
//   4  4  error     0 or a positive errno value
//   8 20  local     SocketAddress
//  28 20  peer      SocketAddress
//  48  4  value     option value (get_option); prefix records following (info);
//                   QueryKind (query)
//  52 12  reserved  zero
struct InterceptReply {
  static constexpr std::size_t kSize = 64;

  std::optional<SocketType> type;
  bool ipv6{false};
  std::int32_t error{0};
  std::optional<SocketAddress> local;
  std::optional<SocketAddress> peer;
  std::int32_t value{0};

  static Result<InterceptReply> parse(ByteSpan b) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return kSize; }
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const InterceptReply&) const = default;
};

// A virtual prefix of an info reply (28 bytes):
//   0  8  network   id
//   8  1  family    4 or 6
//   9  1  length    prefix length (≤ 32 or ≤ 128)
//  10  2  reserved  zero
//  12 16  address
struct VirtualPrefix {
  static constexpr std::size_t kSize = 28;
  static constexpr std::size_t kMaxCount = 256;

  std::uint64_t network{0};
  bool ipv6{false};
  std::uint8_t length{0};
  ByteArray<16> bytes{};

  static Result<VirtualPrefix> parse(ByteSpan b) noexcept;
  void emit(MutableByteSpan out) const noexcept;
  // Whether `address` (same family) lies inside.
  [[nodiscard]] bool contains(bool v6, const ByteArray<16>& address) const noexcept;
  bool operator==(const VirtualPrefix&) const = default;
};

// An info reply: the reply then `value` records, in one message.
Result<std::vector<VirtualPrefix>> parse_prefixes(ByteSpan records, std::size_t count) noexcept;

// What the daemon sends on a listener's channel per accepted connection, with
// the connection's fd (40 bytes): local SocketAddress, peer SocketAddress.
struct AcceptNotice {
  static constexpr std::size_t kSize = 40;
  SocketAddress local;
  SocketAddress peer;

  static Result<AcceptNotice> parse(ByteSpan b) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return kSize; }
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const AcceptNotice&) const = default;
};

// Every message on a datagram socket's channel, both ways, starts with a
// SocketAddress: the destination (program → daemon; "none" on a connected
// socket) or the source (daemon → program); the payload follows.
inline constexpr std::size_t kDatagramHeaderSize = SocketAddress::kSize;

// A resolve request is the request (op resolve) followed, in the same
// message, by the name asked about: 1..kMaxName bytes of letters, digits,
// '-', '_' and '.' (what a host name may hold, in any case).
struct ResolveName {
  static constexpr std::size_t kMaxName = 253;
  static Result<std::string> parse(ByteSpan b);
};

// The daemon's answer to a resolve request (8 + 20 × count + name_len bytes):
//   0  1  version   1
//   1  1  status    ResolveStatus
//   2  1  count     addresses (≤ kMaxAddresses), port 0; only when found
//   3  1  name_len  the canonical name (≤ ResolveName::kMaxName); only when found
//   4  4  error     failed: a positive errno value (ETIMEDOUT...); else 0
//   8     count × SocketAddress, then the canonical name
enum class ResolveStatus : std::uint8_t {
  found = 1,           // a member of a joined network
  no_such_member = 2,  // under a joined network's domain, but no member has the name
  not_virtual = 3,     // none of the virtual networks' names: ask the system's resolver
  failed = 4,          // a virtual name that could not be resolved now (error says why)
};

struct ResolveAnswer {
  static constexpr std::size_t kHeaderSize = 8;
  static constexpr std::size_t kMaxAddresses = 32;
  static constexpr std::size_t kMaxSize =
      kHeaderSize + kMaxAddresses * SocketAddress::kSize + ResolveName::kMaxName;

  ResolveStatus status{ResolveStatus::not_virtual};
  std::int32_t error{0};
  std::vector<SocketAddress> addresses;
  std::string canonical;

  // Error::truncated / too_large (lengths disagree), Error::malformed (version,
  // status, an address with a port or of no family, addresses or a name on an
  // answer that is not found, an error on one that did not fail, a name that
  // ResolveName would refuse).
  static Result<ResolveAnswer> parse(ByteSpan b);
  [[nodiscard]] std::size_t buffer_len() const noexcept {
    return kHeaderSize + addresses.size() * SocketAddress::kSize + canonical.size();
  }
  // Requires the limits above (a programming error otherwise).
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const ResolveAnswer&) const = default;
};

}  // namespace weft::wire
