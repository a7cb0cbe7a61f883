#include "osdep/rtnetlink.hpp"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "osdep/errno_error.hpp"

namespace weft::osdep {

namespace {

constexpr std::size_t kAlign = 4;  // NLMSG_ALIGNTO and RTA_ALIGNTO
constexpr std::size_t aligned(std::size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

void append(std::vector<std::byte>& out, const void* data, std::size_t size) {
  const auto* p = static_cast<const std::byte*>(data);
  out.insert(out.end(), p, p + size);
  out.resize(aligned(out.size()));
}

void append_attribute(std::vector<std::byte>& out, std::uint16_t type, const void* data,
                      std::size_t size) {
  rtattr a{};
  a.rta_len = static_cast<std::uint16_t>(sizeof a + size);
  a.rta_type = type;
  const std::size_t at = out.size();
  out.resize(at + sizeof a);
  std::memcpy(out.data() + at, &a, sizeof a);
  append(out, data, size);
}

}  // namespace

Result<RtNetlink> RtNetlink::open() noexcept {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return from_errno(errno);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0)
    return from_errno(errno);
  // The kernel answers a request at once; a bound on the wait only keeps a
  // kernel bug from hanging the caller (the node's I/O thread).
  timeval tv{};
  tv.tv_sec = 5;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return RtNetlink(std::move(fd));
}

std::vector<std::byte> RtNetlink::address_request(bool add, int index,
                                                  const InterfaceAddress& address,
                                                  std::uint32_t sequence) {
  std::vector<std::byte> out(sizeof(nlmsghdr));
  ifaddrmsg ifa{};
  ifa.ifa_family = address.ipv6 ? AF_INET6 : AF_INET;
  ifa.ifa_prefixlen = address.prefix;
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<std::uint32_t>(index);
  const std::uint32_t flags = address.ipv6 ? IFA_F_NODAD : 0;
  ifa.ifa_flags = static_cast<std::uint8_t>(flags);
  append(out, &ifa, sizeof ifa);
  const std::size_t size = address.ipv6 ? 16 : 4;
  append_attribute(out, IFA_LOCAL, address.bytes.data(), size);
  append_attribute(out, IFA_ADDRESS, address.bytes.data(), size);
  if (add) append_attribute(out, IFA_FLAGS, &flags, sizeof flags);

  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(out.size());
  h.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  if (add) h.nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
  h.nlmsg_seq = sequence;
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

std::optional<Result<void>> RtNetlink::read_ack(ByteSpan reply, std::uint32_t sequence) {
  while (!reply.empty()) {
    if (reply.size() < sizeof(nlmsghdr)) return Result<void>(Error::truncated);
    nlmsghdr h{};
    std::memcpy(&h, reply.data(), sizeof h);
    if (h.nlmsg_len < sizeof h) return Result<void>(Error::malformed);
    if (h.nlmsg_len > reply.size()) return Result<void>(Error::truncated);
    if (h.nlmsg_seq == sequence && h.nlmsg_type == NLMSG_ERROR) {
      std::int32_t error = 0;  // nlmsgerr.error: 0 acknowledges, -errno refuses
      if (h.nlmsg_len < sizeof h + sizeof error) return Result<void>(Error::truncated);
      std::memcpy(&error, reply.data() + sizeof h, sizeof error);
      if (error > 0) return Result<void>(Error::malformed);
      if (error == 0) return Result<void>();
      return Result<void>(from_errno(-error));
    }
    const std::size_t next = aligned(h.nlmsg_len);
    if (next >= reply.size()) break;
    reply = reply.subspan(next);
  }
  return std::nullopt;
}

Result<void> RtNetlink::add_address(int index, const InterfaceAddress& address) {
  return request(true, index, address);
}

Result<void> RtNetlink::remove_address(int index, const InterfaceAddress& address) {
  return request(false, index, address);
}

Result<void> RtNetlink::request(bool add, int index, const InterfaceAddress& address) {
  if (address.prefix > (address.ipv6 ? 128 : 32)) return Error::invalid_argument;
  const std::uint32_t sequence = ++sequence_;
  const auto message = address_request(add, index, address, sequence);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_.get(), message.data(), message.size(), 0,
               reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0)
    return from_errno(errno);
  // Answers to earlier requests that timed out may still be queued: they are
  // read and skipped by their sequence.
  alignas(nlmsghdr) std::array<std::byte, 8192> buffer{};
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN ? Error::timed_out : from_errno(errno);
    }
    if (auto r = read_ack(ByteSpan(buffer.data(), static_cast<std::size_t>(n)), sequence))
      return *r;
  }
}

}  // namespace weft::osdep
