#include "stack/lwip/udp_socket.hpp"

#include <algorithm>
#include <cstring>

#include "stack/lwip/convert.hpp"
#include "stack/lwip/core_lock.hpp"

namespace weft::stack::lwip {

namespace {
constexpr std::size_t kMaxDatagramV4 = 65'507;
constexpr std::size_t kMaxDatagramV6 = 65'527;
}  // namespace

Result<std::unique_ptr<UdpSocket>> UdpSocket::create(Family family) {
  CoreLock lock;
  udp_pcb* pcb = udp_new_ip_type(family == Family::v4 ? IPADDR_TYPE_V4 : IPADDR_TYPE_V6);
  if (pcb == nullptr) return Error::no_buffer;
  return std::make_unique<UdpSocket>(family, pcb);
}

UdpSocket::UdpSocket(Family family, udp_pcb* pcb) noexcept : family_(family), pcb_(pcb) {
  udp_recv(pcb_, &UdpSocket::on_recv, this);
}

UdpSocket::~UdpSocket() {
  close();
  wait_for_deferred_wakes();  // a section that deferred this socket may still be waking it
}

void UdpSocket::on_recv(void* arg, udp_pcb* /*pcb*/, pbuf* p, const ip_addr_t* addr, u16_t port) {
  auto* self = static_cast<UdpSocket*>(arg);
  std::lock_guard lock(self->mu_);
  if (self->closed_ || self->rd_shut_ || self->rx_bytes_ + p->tot_len > self->rx_limit_) {
    ++self->dropped_;
    pbuf_free(p);
    return;
  }
  const Endpoint from = endpoint_of(*addr, port, self->family_);
  self->rx_bytes_ += p->tot_len;
  self->rx_.push_back({p, from});
  self->notify_locked();
}

void UdpSocket::port_unreachable(const PortUnreachable& e) noexcept {
  // Linux reports it only on a connected socket (without IP_RECVERR): an
  // unconnected one cannot tell which of its destinations it concerns.
  const ip_addr_t local = to_lwip(e.source.address);
  const ip_addr_t remote = to_lwip(e.destination.address);
  for (udp_pcb* pcb = udp_pcbs; pcb != nullptr; pcb = pcb->next) {
    if (pcb->recv != &UdpSocket::on_recv || (pcb->flags & UDP_FLAGS_CONNECTED) == 0 ||
        pcb->local_port != e.source.port || pcb->remote_port != e.destination.port ||
        IP_IS_V6_VAL(pcb->local_ip) != IP_IS_V6_VAL(local) || !ip_addr_cmp(&pcb->remote_ip, &remote) ||
        (!ip_addr_isany_val(pcb->local_ip) && !ip_addr_cmp(&pcb->local_ip, &local)))
      continue;
    auto* self = static_cast<UdpSocket*>(pcb->recv_arg);
    std::lock_guard lock(self->mu_);
    if (self->closed_) return;
    self->error_ = Error::connection_refused;
    self->notify_locked();
    return;
  }
}

Result<void> UdpSocket::take_error() {
  std::lock_guard lock(mu_);
  if (auto e = take_error_locked()) return *e;
  return {};
}

Result<void> UdpSocket::bind(const Endpoint& local) {
  if (local.address.family != family_) return Error::invalid_argument;
  CoreLock core;
  std::lock_guard lock(mu_);
  if (closed_) return Error::bad_handle;
  if (pcb_->local_port != 0) return Error::invalid_argument;
  // Linux: an IPv4-mapped address on an IPv6-only socket is EINVAL.
  if (local.address.is_v4_mapped() && !dual()) return Error::invalid_argument;
  const ip_addr_t ip = to_lwip_for_socket(local.address, dual());
  if (!ip_addr_isany_val(ip) && !is_local_address(ip)) return Error::address_not_available;
  set_pcb_type(pcb_, IP_GET_TYPE(&ip));
  if (err_t e = udp_bind(pcb_, &ip, local.port); e != ERR_OK) return from_err(e);
  return {};
}

Result<ip_addr_t> UdpSocket::destination_locked(const IpAddress& remote) {
  if (!remote.is_v4_mapped()) return to_lwip(remote);
  // IPv4 through a dual-stack socket. Single-family otherwise: lwIP would take
  // the mapped address for an on-link IPv6 one that neighbour discovery never
  // resolves; Linux says ENETUNREACH.
  if (!dual() || (pcb_->local_port != 0 && IP_IS_V6_VAL(pcb_->local_ip)))
    return Error::network_unreachable;
  if (pcb_->local_port == 0) {
    // Bound at once to both families, as Linux binds an unbound dual-stack
    // socket: later IPv6 destinations still work.
    set_pcb_type(pcb_, IPADDR_TYPE_ANY);
    if (err_t e = udp_bind(pcb_, IP_ANY_TYPE, 0); e != ERR_OK) return from_err(e);
  }
  return to_lwip(remote.unmapped());
}

Result<void> UdpSocket::listen(int /*backlog*/) { return Error::unsupported; }
Result<std::unique_ptr<Socket>> UdpSocket::accept(Endpoint* /*peer*/) { return Error::unsupported; }

Result<void> UdpSocket::connect(const Endpoint& remote) {
  if (remote.address.family != family_) return Error::invalid_argument;
  CoreLock core;
  std::lock_guard lock(mu_);
  if (closed_) return Error::bad_handle;
  auto ip = destination_locked(remote.address);
  if (!ip) return ip.error();
  if (err_t e = udp_connect(pcb_, &*ip, remote.port); e != ERR_OK) return from_err(e);
  connected_ = true;
  return {};
}

Result<std::size_t> UdpSocket::send_locked(ByteSpan data, const ip_addr_t* to, u16_t port) {
  if (closed_) return Error::bad_handle;
  if (auto e = take_error_locked()) return *e;
  if (wr_shut_) return Error::closed;
  // By the destination's family: a dual-stack IPv6 socket sends IPv4 too.
  const bool v6 = to != nullptr ? IP_IS_V6(to) : IP_IS_V6_VAL(pcb_->remote_ip);
  if (data.size() > (v6 ? kMaxDatagramV6 : kMaxDatagramV4)) return Error::too_large;
  pbuf* p = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(data.size()), PBUF_RAM);
  if (p == nullptr) return Error::no_buffer;
  if (!data.empty()) std::memcpy(p->payload, data.data(), data.size());
  err_t e = to == nullptr ? udp_send(pcb_, p) : udp_sendto(pcb_, p, to, port);
  pbuf_free(p);
  if (e != ERR_OK) return from_err(e);
  return data.size();
}

Result<std::size_t> UdpSocket::send(ByteSpan data) {
  CoreLock core;
  std::lock_guard lock(mu_);
  if (!closed_ && !connected_) return Error::destination_required;  // EDESTADDRREQ, as POSIX
  return send_locked(data, nullptr, 0);
}

Result<std::size_t> UdpSocket::send_to(ByteSpan data, const Endpoint& remote) {
  if (remote.address.family != family_) return Error::invalid_argument;
  if (remote.port == 0) return Error::invalid_argument;
  CoreLock core;
  std::lock_guard lock(mu_);
  if (closed_) return Error::bad_handle;
  auto ip = destination_locked(remote.address);
  if (!ip) return ip.error();
  return send_locked(data, &*ip, remote.port);
}

Result<std::size_t> UdpSocket::take(MutableByteSpan buffer, Endpoint* from, bool peek, std::size_t* datagram_size) {
  pbuf* p = nullptr;
  std::size_t n = 0;
  {
    std::lock_guard lock(mu_);
    if (closed_) return Error::bad_handle;
    // The error first, even with datagrams queued, and taken even by a peek
    // (Linux's __skb_recv_udp: sock_error).
    if (auto e = take_error_locked()) return *e;
    if (rx_.empty()) {
      if (rd_shut_) return std::size_t{0};
      return Error::would_block;
    }
    Datagram& d = rx_.front();
    n = std::min<std::size_t>(buffer.size(), d.p->tot_len);
    if (n > 0) pbuf_copy_partial(d.p, buffer.data(), static_cast<u16_t>(n), 0);
    if (from != nullptr) *from = d.from;
    if (datagram_size != nullptr) *datagram_size = d.p->tot_len;
    if (peek) return n;
    p = d.p;
    rx_bytes_ -= p->tot_len;
    rx_.pop_front();
  }
  pbuf_free(p);  // the rest of a truncated datagram is discarded, as in BSD
  return n;
}

Result<std::size_t> UdpSocket::recv(MutableByteSpan buffer, bool peek, std::size_t* datagram_size) {
  return take(buffer, nullptr, peek, datagram_size);
}

Result<std::size_t> UdpSocket::recv_from(MutableByteSpan buffer, Endpoint& from, std::size_t* datagram_size) {
  return take(buffer, &from, false, datagram_size);
}

Result<std::size_t> UdpSocket::recv_visit(const std::function<std::size_t(ByteSpan)>& visitor) {
  pbuf* p = nullptr;
  std::size_t total = 0;
  {
    std::lock_guard lock(mu_);
    if (closed_) return Error::bad_handle;
    if (rx_.empty()) return Error::would_block;
    p = rx_.front().p;
    for (const pbuf* q = p; q != nullptr; q = q->next) {
      total += std::min<std::size_t>(visitor(as_bytes(q->payload, q->len)), q->len);
    }
    rx_bytes_ -= p->tot_len;
    rx_.pop_front();
  }
  pbuf_free(p);
  return total;
}

Result<void> UdpSocket::shutdown(bool read, bool write) {
  std::lock_guard lock(mu_);
  if (closed_) return Error::bad_handle;
  if (!connected_) return Error::not_connected;
  rd_shut_ = rd_shut_ || read;
  wr_shut_ = wr_shut_ || write;
  wake_all_locked();
  return {};
}

void UdpSocket::close() noexcept {
  Fifo<Datagram> rx;
  {
    CoreLock core;
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    udp_recv(pcb_, nullptr, nullptr);
    udp_remove(pcb_);
    pcb_ = nullptr;
    rx.swap(rx_);
    rx_bytes_ = 0;
    wake_all_locked();
  }
  for (auto& d : rx) pbuf_free(d.p);
}

Result<void> UdpSocket::set_option(Option option, int value) {
  CoreLock core;
  std::lock_guard lock(mu_);
  if (closed_) return Error::bad_handle;
  switch (option) {
    case Option::reuse_addr:
      if (value != 0) ip_set_option(pcb_, SOF_REUSEADDR);
      else ip_reset_option(pcb_, SOF_REUSEADDR);
      return {};
    case Option::recv_buffer:
      if (value <= 0) return Error::invalid_argument;
      rx_limit_ = std::clamp<std::size_t>(static_cast<std::size_t>(value), 2048, kMaxRecvBuffer);
      return {};
    case Option::send_buffer:
      if (value <= 0) return Error::invalid_argument;
      return {};  // sends are not buffered
    case Option::v6_only:
      if (family_ != Family::v6) return Error::unsupported;
      if (pcb_->local_port != 0) return Error::invalid_argument;  // Linux: only before bind
      v6_only_ = value != 0;
      return {};
    default: return Error::unsupported;
  }
}

Result<int> UdpSocket::get_option(Option option) {
  std::lock_guard lock(mu_);
  if (closed_) return Error::bad_handle;
  switch (option) {
    case Option::reuse_addr: return ip_get_option(pcb_, SOF_REUSEADDR) ? 1 : 0;
    case Option::recv_buffer: return static_cast<int>(rx_limit_);
    case Option::send_buffer: return static_cast<int>(kMaxDatagramV6);
    case Option::send_queued: return 0;
    case Option::v6_only:
      if (family_ != Family::v6) return Error::unsupported;
      return v6_only_ ? 1 : 0;
    default: return Error::unsupported;
  }
}

Result<Endpoint> UdpSocket::local_endpoint() {
  CoreLock core;
  std::lock_guard lock(mu_);
  if (closed_) return Error::bad_handle;
  return endpoint_of(pcb_->local_ip, pcb_->local_port, family_);
}

Result<Endpoint> UdpSocket::peer_endpoint() {
  CoreLock core;
  std::lock_guard lock(mu_);
  if (closed_) return Error::bad_handle;
  if (!connected_) return Error::not_connected;
  return endpoint_of(pcb_->remote_ip, pcb_->remote_port, family_);
}

std::uint32_t UdpSocket::events() {
  std::lock_guard lock(mu_);
  if (closed_) return Events::hangup;
  std::uint32_t e = Events::writable;
  if (!rx_.empty() || rd_shut_) e |= Events::readable;
  if (error_) e |= Events::error;
  return e;
}

std::uint64_t UdpSocket::dropped() noexcept {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace weft::stack::lwip
