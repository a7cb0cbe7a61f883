#include "stack/lwip/lwip_stack.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <random>

#include "stack/lwip/core_lock.hpp"
#include "stack/lwip/lwip_headers.hpp"
#include "stack/lwip/packet_peek.hpp"
#include "stack/lwip/tcp_socket.hpp"
#include "stack/lwip/udp_socket.hpp"

namespace weft::stack::lwip {

namespace {
struct InitDone {
  std::mutex m;
  std::condition_variable cv;
  bool done{false};
};

void on_init_done(void* arg) {
  auto* d = static_cast<InitDone*>(arg);
  // Notify with the lock held: the waiter owns *d and destroys it as soon as it
  // can see done.
  std::lock_guard lock(d->m);
  d->done = true;
  d->cv.notify_all();
}

// The start of an IP packet for a raw hook: in place when the pbuf is one piece
// (frames from the tap are), else copied (reassembled datagrams), up to what the
// parsers need: a whole ICMP error (its checksum covers all of it) or the TCP
// header.
ByteSpan packet_start(const pbuf* p, std::span<std::byte> scratch) noexcept {
  if (p->next == nullptr) return as_bytes(p->payload, p->len);
  const auto n = static_cast<u16_t>(std::min<std::size_t>(p->tot_len, scratch.size()));
  return ByteSpan(scratch.data(), pbuf_copy_partial(p, scratch.data(), n, 0));
}

// lwIP's raw input hooks run for every IP packet of their protocol before lwIP's
// own processing (core lock held). Returning 0 lets lwIP go on with the packet;
// 1 means it was eaten (and freed).

// ICMP and ICMPv6: a port unreachable is an error for the connected UDP socket
// that sent the quoted datagram (lwIP's UDP has no error path of its own).
u8_t on_icmp(void* /*arg*/, raw_pcb* /*pcb*/, pbuf* p, const ip_addr_t* /*from*/) {
  std::array<std::byte, 1280> scratch;
  if (auto e = parse_port_unreachable(packet_start(p, scratch))) UdpSocket::port_unreachable(*e);
  return 0;
}

// TCP: every segment for one of our connections lets it note lwIP's recovery
// state before lwIP processes the segment (TcpSocket::before_input). A SYN for
// a listener whose accept queue is full is dropped, as Linux does, so the
// client retransmits it later; lwIP (its backlog compiled out) would complete
// the handshake and leave us only a reset.
u8_t on_tcp(void* /*arg*/, raw_pcb* /*pcb*/, pbuf* p, const ip_addr_t* /*from*/) {
  std::array<std::byte, 128> scratch;
  const auto header = parse_tcp_header(packet_start(p, scratch));
  if (!header) return 0;
  if (!header->requests_connection()) {
    TcpSocket::before_input(*header);
    return 0;
  }
  if (TcpSocket::admits(TcpSyn{header->source, header->destination})) return 0;
  pbuf_free(p);
  return 1;
}

// lwIP's tcp_new_port increments its 16-bit next port before comparing it
// with the end of the range, and the first value is random in 0xC000–0xFFFF
// (LWIP_RANDOMIZE_INITIAL_LOCAL_PORTS): in 1 process of 16,384 the first
// ephemeral port comes out as 0, which tcp_bind (also listen's, when the
// socket is unbound) and tcp_connect report as ERR_BUF, ENOBUFS to the
// application (seen as rare test failures). Taking one ephemeral port here,
// whatever comes back, moves the counter past it; after a wrap that
// process's ports count up from 1, still checked against every pcb.
void step_past_a_wrapping_first_port() {
  CoreLock lock;
  tcp_pcb* pcb = tcp_new();
  if (pcb == nullptr) return;
  (void)tcp_bind(pcb, IP_ANY_TYPE, 0);
  (void)tcp_close(pcb);  // bound, not connected: freed at once
}

void install_hooks() {
  CoreLock lock;
  raw_pcb* icmp4 = raw_new_ip_type(IPADDR_TYPE_V4, IP_PROTO_ICMP);
  raw_pcb* icmp6 = raw_new_ip_type(IPADDR_TYPE_V6, IP6_NEXTH_ICMP6);
  raw_pcb* tcp = raw_new_ip_type(IPADDR_TYPE_ANY, IP_PROTO_TCP);
  // raw_new fails only without memory; the stack then still runs, with lwIP's own
  // behaviour (a full listener resets, UDP ignores ICMP errors).
  if (icmp4 != nullptr) raw_recv(icmp4, &on_icmp, nullptr);
  if (icmp6 != nullptr) raw_recv(icmp6, &on_icmp, nullptr);
  if (tcp != nullptr) raw_recv(tcp, &on_tcp, nullptr);
}

}  // namespace

LwipStack& LwipStack::instance() {
  static LwipStack stack;
  return stack;
}

LwipStack::LwipStack() {
  std::random_device rd;
  std::srand(rd());  // NOLINT(cert-msc51-cpp): LWIP_RAND is rand(); see header
  InitDone done;
  tcpip_init(&on_init_done, &done);
  std::unique_lock lock(done.m);
  done.cv.wait(lock, [&] { return done.done; });
  lock.unlock();
  step_past_a_wrapping_first_port();
  install_hooks();
}

Result<std::unique_ptr<Socket>> LwipStack::open(Transport transport, Family family) {
  if (transport == Transport::tcp) {
    auto s = TcpSocket::create(family);
    if (!s) return s.error();
    return std::unique_ptr<Socket>(std::move(s).value());
  }
  auto s = UdpSocket::create(family);
  if (!s) return s.error();
  return std::unique_ptr<Socket>(std::move(s).value());
}

void LwipStack::send_held_acks() noexcept { TcpSocket::send_held_acks(); }

}  // namespace weft::stack::lwip
