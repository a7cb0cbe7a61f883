#include "osdep/udp_socket.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "osdep/errno_error.hpp"

namespace weft::osdep {

namespace {

// The payload of one GSO message stays below the 64 KiB IP datagram limit for
// both families, with room for IPv6 extension headers.
constexpr std::size_t kGsoMaxBytes = 65'000;
// The kernel's UDP_MAX_SEGMENTS is 64 on older kernels (128 on newer ones).
constexpr std::size_t kGsoMaxSegments = 64;

// Control buffers are read through cmsghdr pointers: align them for it.
struct alignas(cmsghdr) GsoControl {
  std::array<std::byte, CMSG_SPACE(sizeof(std::uint16_t))> bytes;
};
// Room for the UDP_GRO cmsg (an int) with slack for any other the kernel adds.
struct alignas(cmsghdr) GroControl {
  std::array<std::byte, CMSG_SPACE(sizeof(int)) + 64> bytes;
};

// The segment size of a coalesced receive, 0 when there is none.
std::size_t gro_segment_size(const msghdr& msg) noexcept {
  for (const cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), const_cast<cmsghdr*>(c))) {  // NOLINT
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
        c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(c), sizeof size);
      return size > 0 ? static_cast<std::size_t>(size) : 0;
    }
  }
  return 0;
}

int setsockopt_int(int fd, int level, int name, int value) noexcept {
  return ::setsockopt(fd, level, name, &value, sizeof value);
}

int getsockopt_int(int fd, int level, int name) noexcept {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) return -1;
  return value;
}

// Asks for `bytes`; if the kernel capped the request (rmem_max/wmem_max), tries
// the privileged *FORCE variant, and otherwise keeps what it got.
void size_buffer(int fd, int opt, int force_opt, std::size_t bytes) noexcept {
  const int want = static_cast<int>(std::min<std::size_t>(bytes, INT32_MAX / 2));
  (void)setsockopt_int(fd, SOL_SOCKET, opt, want);
  // getsockopt reports twice the usable size (the kernel's bookkeeping share).
  if (getsockopt_int(fd, SOL_SOCKET, opt) / 2 < want) {
    (void)setsockopt_int(fd, SOL_SOCKET, force_opt, want);
  }
}

// The kernel says no to UDP_SEGMENT with these (no checksum offload on the
// route's device, SO_NO_CHECK, a segment over the path MTU, old kernels).
bool is_gso_refusal(int err) noexcept {
  return err == EIO || err == EINVAL || err == ENOPROTOOPT || err == EOPNOTSUPP;
}

void set_gso_size(msghdr& msg, GsoControl& control, std::uint16_t segment) noexcept {
  control = {};
  msg.msg_control = control.bytes.data();
  msg.msg_controllen = control.bytes.size();
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof segment);
  std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
}

// sendmmsg over `msgs`, resuming after partial sends and EINTR. Returns how many
// messages the kernel took; on the first failure, stops and reports the errno
// in `err` (0 when all were taken).
std::size_t send_all(int fd, std::span<mmsghdr> msgs, int& err,
                     std::atomic<std::uint64_t>& calls) noexcept {
  std::size_t done = 0;
  err = 0;
  while (done < msgs.size()) {
    calls.fetch_add(1, std::memory_order_relaxed);
    const int r =
        ::sendmmsg(fd, msgs.data() + done, static_cast<unsigned>(msgs.size() - done), MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      err = errno;
      return done;
    }
    done += static_cast<std::size_t>(r);
  }
  return done;
}

}  // namespace

Result<UdpSocket> UdpSocket::bind(const Endpoint& local, Options options) noexcept {
  const int family = local.is_v4() ? AF_INET : AF_INET6;
  UniqueFd fd{::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP)};
  if (!fd) return from_errno(errno);
  if (!local.is_v4()) {
    // An IPv6 socket carries IPv6 only: a v4 peer is a different socket, and an
    // Endpoint never appears as a v4-mapped IPv6 address.
    if (setsockopt_int(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1) != 0) return from_errno(errno);
  }
  size_buffer(fd.get(), SO_RCVBUF, SO_RCVBUFFORCE, options.buffer_bytes);
  size_buffer(fd.get(), SO_SNDBUF, SO_SNDBUFFORCE, options.buffer_bytes);

  sockaddr_storage sa{};
  socklen_t len = local.to_sockaddr(sa);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0) {  // NOLINT
    return from_errno(errno);
  }
  len = sizeof sa;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0) {  // NOLINT
    return from_errno(errno);
  }
  auto bound = Endpoint::from_sockaddr(sa, len);
  if (!bound) return bound.error();

  // A kernel without UDP GSO does not know the option at all.
  const bool gso = options.gso && getsockopt_int(fd.get(), SOL_UDP, UDP_SEGMENT) >= 0;
  const bool gro = options.gro && setsockopt_int(fd.get(), SOL_UDP, UDP_GRO, 1) == 0;
  return UdpSocket(std::move(fd), *bound, gso, gro);
}

UdpSocket::UdpSocket(UdpSocket&& o) noexcept
    : fd_(std::move(o.fd_)),
      local_(o.local_),
      gso_(o.gso_.load()),
      gro_(o.gro_),
      send_calls_(o.send_calls_.load()),
      gso_messages_(o.gso_messages_.load()),
      gso_refused_(o.gso_refused_.load()),
      recv_calls_(o.recv_calls_.load()) {}

UdpSocket::BufferSizes UdpSocket::buffer_sizes() const noexcept {
  const int r = getsockopt_int(fd_.get(), SOL_SOCKET, SO_RCVBUF);
  const int s = getsockopt_int(fd_.get(), SOL_SOCKET, SO_SNDBUF);
  return {static_cast<std::size_t>(std::max(r, 0)), static_cast<std::size_t>(std::max(s, 0))};
}

UdpSocket::Stats UdpSocket::stats() const noexcept {
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(send_calls_), get(gso_messages_), get(gso_refused_), get(recv_calls_)};
}

Result<std::size_t> UdpSocket::recv_batch(std::span<RecvSlot> slots) noexcept {
  const std::size_t n = std::min(slots.size(), kMaxBatch);
  if (n == 0) return std::size_t{0};
  // A coalesced run cut short would lose whole datagrams without a trace.
  if (gro_ && std::any_of(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(n),
                          [](const RecvSlot& s) { return s.buffer.size() < kMaxGroBytes; }))
    return Error::invalid_argument;
  // Headers are set up only for the slots offered to the kernel (the kernel
  // fills names). Most receives find one datagram or a few, and setting up
  // all kMaxBatch cost more than such a receive itself (cache misses on the
  // slots): the first call offers kFirstOffer, and only a full answer leads
  // to a second call for the rest.
  constexpr std::size_t kFirstOffer = 8;
  std::array<mmsghdr, kMaxBatch> msgs;
  std::array<iovec, kMaxBatch> iov;
  std::array<sockaddr_storage, kMaxBatch> names;
  std::array<GroControl, kMaxBatch> control;
  std::size_t got = 0;
  std::size_t offer = std::min(n, kFirstOffer);
  while (true) {
    for (std::size_t i = got; i < got + offer; ++i) {
      iov[i] = {slots[i].buffer.data(), slots[i].buffer.size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &names[i];
      msgs[i].msg_hdr.msg_namelen = sizeof names[i];
      if (gro_) {
        msgs[i].msg_hdr.msg_control = control[i].bytes.data();
        msgs[i].msg_hdr.msg_controllen = control[i].bytes.size();
      }
    }
    int r = 0;
    do {
      recv_calls_.fetch_add(1, std::memory_order_relaxed);
      r = ::recvmmsg(fd_.get(), msgs.data() + got, static_cast<unsigned>(offer), MSG_DONTWAIT,
                     nullptr);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      // After a first answer, whatever failed (nothing more waiting, most
      // likely) shows on the next call.
      if (got > 0) break;
      return from_errno(errno);
    }
    got += static_cast<std::size_t>(r);
    if (static_cast<std::size_t>(r) < offer || got == n) break;
    offer = n - got;
  }
  for (std::size_t i = 0; i < got; ++i) {
    RecvSlot& s = slots[i];
    s.size = msgs[i].msg_len;
    s.truncated = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    s.from = Endpoint::from_sockaddr(names[i], msgs[i].msg_hdr.msg_namelen).value_or(Endpoint{});
    s.segment_size = gro_ ? gro_segment_size(msgs[i].msg_hdr) : 0;
    // A "run" of one datagram is just that datagram.
    if (s.segment_size >= s.size) s.segment_size = 0;
  }
  return got;
}

Result<std::size_t> UdpSocket::send_batch(std::span<const SendItem> items) noexcept {
  std::size_t sent = 0;
  while (sent < items.size()) {
    const std::size_t n = std::min(items.size() - sent, kMaxBatch);
    // Only the first n entries are set up, as in recv_batch.
    std::array<mmsghdr, kMaxBatch> msgs;
    std::array<iovec, kMaxBatch> iov;
    std::array<sockaddr_storage, kMaxBatch> names;
    for (std::size_t i = 0; i < n; ++i) {
      const SendItem& item = items[sent + i];
      // sendmmsg does not write through iov_base; iovec is just not const-correct.
      iov[i] = {const_cast<std::byte*>(item.data.data()), item.data.size()};  // NOLINT
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_namelen = item.to.to_sockaddr(names[i]);
      msgs[i].msg_hdr.msg_name = &names[i];
    }
    int err = 0;
    const std::size_t done = send_all(fd_.get(), std::span(msgs.data(), n), err, send_calls_);
    sent += done;
    if (err != 0) {
      if (sent == 0) return from_errno(err);
      return sent;
    }
  }
  return sent;
}

Result<std::size_t> UdpSocket::send_burst(const Endpoint& to,
                                          std::span<const ByteSpan> datagrams) noexcept {
  std::size_t sent = 0;
  while (sent < datagrams.size()) {
    const auto chunk = datagrams.subspan(sent, std::min(datagrams.size() - sent, kMaxBatch));
    auto r = send_chunk(to, chunk, gso_enabled());
    if (!r) {
      if (sent == 0) return r.error();
      return sent;
    }
    sent += *r;
    if (*r < chunk.size()) return sent;
  }
  return sent;
}

Result<std::size_t> UdpSocket::send_chunk(const Endpoint& to, std::span<const ByteSpan> datagrams,
                                          bool use_gso) noexcept {
  // Only the entries used are set up, as in recv_batch.
  std::array<mmsghdr, kMaxBatch> msgs;
  std::array<iovec, kMaxBatch> iov;
  std::array<GsoControl, kMaxBatch> control;
  std::array<std::size_t, kMaxBatch> first;  // index of each message's first datagram
  sockaddr_storage name{};
  const socklen_t name_len = to.to_sockaddr(name);

  std::size_t m = 0;
  for (std::size_t i = 0; i < datagrams.size();) {
    // A run: datagrams of the first one's size, plus at most one shorter one
    // at the end (the kernel's rule for a GSO message).
    const std::size_t seg = datagrams[i].size();
    std::size_t end = i + 1;
    std::size_t bytes = seg;
    if (use_gso && seg > 0 && seg <= UINT16_MAX) {
      while (end < datagrams.size() && end - i < kGsoMaxSegments &&
             bytes + datagrams[end].size() <= kGsoMaxBytes && datagrams[end].size() <= seg &&
             datagrams[end].size() > 0) {
        bytes += datagrams[end].size();
        ++end;
        if (datagrams[end - 1].size() < seg) break;
      }
    }
    for (std::size_t k = i; k < end; ++k) {
      iov[k] = {const_cast<std::byte*>(datagrams[k].data()), datagrams[k].size()};  // NOLINT
    }
    msgs[m] = {};
    msghdr& h = msgs[m].msg_hdr;
    h.msg_name = &name;
    h.msg_namelen = name_len;
    h.msg_iov = &iov[i];
    h.msg_iovlen = end - i;
    if (end - i > 1) {
      set_gso_size(h, control[m], static_cast<std::uint16_t>(seg));
    }
    first[m] = i;
    ++m;
    i = end;
  }

  int err = 0;
  const std::size_t done = send_all(fd_.get(), std::span(msgs.data(), m), err, send_calls_);
  for (std::size_t k = 0; k < done; ++k) {
    if (msgs[k].msg_hdr.msg_controllen != 0) gso_messages_.fetch_add(1, std::memory_order_relaxed);
  }
  const std::size_t sent = done < m ? first[done] : datagrams.size();
  if (err == 0) return sent;
  if (msgs[done].msg_hdr.msg_controllen != 0 && is_gso_refusal(err)) {
    // Resend the rest without GSO. If that goes, the kernel will not segment
    // for us: fall back for good. If it fails too, the destination was the
    // problem (port 0, say), and GSO stays on for every other peer.
    auto rest = send_chunk(to, datagrams.subspan(sent), false);
    if (rest && *rest > 0) {
      gso_refused_.fetch_add(1, std::memory_order_relaxed);
      disable_gso();
    }
    if (!rest) return sent == 0 ? rest : Result<std::size_t>(sent);
    return sent + *rest;
  }
  if (sent == 0) return from_errno(err);
  return sent;
}

}  // namespace weft::osdep
