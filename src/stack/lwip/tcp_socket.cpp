#include "stack/lwip/tcp_socket.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "stack/lwip/convert.hpp"
#include "stack/lwip/core_lock.hpp"
#include "stack/lwip/lwip_netif.hpp"

namespace weft::stack::lwip {

namespace {

// Writable (for poll and blocked senders) once this much send buffer is free, so a
// blocked sender wakes for a useful amount, not on every ACK.
constexpr std::size_t kWritableThreshold = TcpSocket::kSendBuffer / 4;
// Consumed bytes are reported to lwIP (tcp_recved, which may send a window update)
// in batches of this size, or at once when the queue runs empty.
constexpr std::size_t kRecvedBatch = 8 * 1024;
constexpr std::size_t kMaxBacklog = 4096;
// The smallest MSS a segment is cut to for the link's sake: TCP's default (RFC 9293).
constexpr std::size_t kMinMss = 536;

// Core held. Debian's lwIP has SO_REUSE 1: tcp_bind skips its conflict check
// when both pcbs have SO_REUSEADDR, even against a listener, and only
// tcp_listen refuses the second listener. Linux refuses such a bind (a listener
// holds its port whatever the option says), so the check is made here.
// A dual-stack listener (any-type address) holds its port in both families.
bool listener_holds(const ip_addr_t& ip, u16_t port) noexcept {
  for (tcp_pcb_listen* l = tcp_listen_pcbs.listen_pcbs; l != nullptr; l = l->next) {
    const bool families_meet = IP_IS_ANY_TYPE_VAL(l->local_ip) || IP_IS_ANY_TYPE_VAL(ip) ||
                               IP_IS_V6_VAL(l->local_ip) == IP_IS_V6_VAL(ip);
    if (l->local_port != port || !families_meet) continue;
    if (ip_addr_isany_val(l->local_ip) || ip_addr_isany_val(ip) || ip_addr_cmp(&l->local_ip, &ip))
      return true;
  }
  return false;
}

// Core held, on an established connection. A segment that does not fit one
// datagram of the network below the tap crosses it as fragments: two seals, two
// datagrams and a reassembly where one would do (tap.hpp, unfragmented_mtu).
// lwIP derives its MSS from the netif's MTU, which stays the link's (UDP and the
// peer's segments may use all of it), so the connection's own MSS is lowered
// here, once the handshake has set it; lwIP has no call for this, pcb->mss is
// the field tcp_write sizes segments by.
void fit_segments_to_link(tcp_pcb* pcb) noexcept {
  netif* route = pcb->netif_idx != NETIF_NO_INDEX ? netif_get_by_index(pcb->netif_idx)
                                                  : ip_route(&pcb->local_ip, &pcb->remote_ip);
  LwipNetif* link = LwipNetif::of(route);
  if (link == nullptr) return;
  const std::size_t headers = (IP_IS_V6_VAL(pcb->remote_ip) ? IP6_HLEN : IP_HLEN) + TCP_HLEN;
  const std::size_t unfragmented = link->tap().unfragmented_mtu();
  const std::size_t fits = unfragmented > headers + kMinMss ? unfragmented - headers : kMinMss;
  pcb->mss = static_cast<u16_t>(std::min<std::size_t>(pcb->mss, fits));
}

// lwIP keeps a connection this side closed first in TIME_WAIT for 2 × TCP_MSL
// (two minutes), holding its local port and its memory; with Debian's
// MEMP_MEM_MALLOC no pool runs out, so nothing else bounds them. Past lwIP's
// 16,384 ephemeral ports a client could connect no more (ENOBUFS), and every
// connect and SYN walks them all. So, as Linux caps its time-wait buckets,
// the oldest beyond kMaxTimeWait are dropped (without a reset: the
// connection is over). Checked every kTimeWaitCheckEvery connections made or
// accepted, each of which may add one.
constexpr std::size_t kMaxTimeWait = 4096;
constexpr int kTimeWaitCheckEvery = 256;
int g_until_time_wait_check = 0;  // core lock

void limit_time_wait() noexcept {
  if (--g_until_time_wait_check > 0) return;
  g_until_time_wait_check = kTimeWaitCheckEvery;
  tcp_pcb* p = tcp_tw_pcbs;
  for (std::size_t kept = 0; p != nullptr && kept < kMaxTimeWait; p = p->next) ++kept;
  // lwIP adds to the front: what is left is the oldest.
  while (p != nullptr) {
    tcp_pcb* older = p->next;
    tcp_abort(p);  // a TIME_WAIT pcb is only unlinked and freed
    p = older;
  }
}

// The connections whose acknowledgement waits for their reader (hold_ack).
// Guarded by the core lock; the flag lets a thread about to sleep skip that
// lock when nothing is held. Never destroyed: lwIP's thread may report an
// error (on_err, which drops a held acknowledgement) until the process ends.
std::vector<TcpSocket*>& held_acks() {
  static auto* v = new std::vector<TcpSocket*>;
  return *v;
}
std::atomic<bool> g_acks_held{false};

ByteSpan payload(const pbuf* q, std::size_t offset) noexcept {
  return as_bytes(static_cast<const std::byte*>(q->payload) + offset, q->len - offset);
}

}  // namespace

Result<std::unique_ptr<TcpSocket>> TcpSocket::create(Family family) {
  CoreLock lock;
  tcp_pcb* pcb = tcp_new_ip_type(family == Family::v4 ? IPADDR_TYPE_V4 : IPADDR_TYPE_V6);
  if (pcb == nullptr) return Error::no_buffer;
  return std::make_unique<TcpSocket>(family, pcb, false);
}

TcpSocket::TcpSocket(Family family, tcp_pcb* pcb, bool accepted) noexcept
    : family_(family), pcb_(pcb), state_(accepted ? State::connected : State::open) {
  install_callbacks();
  send_capacity_ = TCP_SND_BUF;
  if (accepted) {
    fit_segments_to_link(pcb_);
    widen_window(pcb_);
    grow_send_buffer();
    remember_endpoints();
  }
  send_space_ = send_space_locked();
}

void TcpSocket::grow_send_buffer() noexcept {
  if (pcb_ == nullptr || send_capacity_ != TCP_SND_BUF) return;
  pcb_->snd_buf += static_cast<tcpwnd_size_t>(kSendBuffer - TCP_SND_BUF);
  send_capacity_ = kSendBuffer;
}

TcpSocket::~TcpSocket() {
  close();
  wait_for_deferred_wakes();  // a section that deferred this socket may still be waking it
}

void TcpSocket::install_callbacks() noexcept {
  tcp_arg(pcb_, this);
  tcp_recv(pcb_, &TcpSocket::on_recv);
  tcp_sent(pcb_, &TcpSocket::on_sent);
  tcp_err(pcb_, &TcpSocket::on_err);
}

void TcpSocket::remember_endpoints() noexcept {
  if (pcb_ == nullptr) return;
  if (pcb_->local_port != 0) {
    last_local_ = endpoint_of(pcb_->local_ip, pcb_->local_port, family_);
  }
  if (state_ != State::listening && pcb_->remote_port != 0) {
    remote_ = endpoint_of(pcb_->remote_ip, pcb_->remote_port, family_);
  }
}

void TcpSocket::release_pcb(bool rst) noexcept {
  if (pcb_ == nullptr) return;
  drop_held_ack();  // a FIN carries it; a reset needs none
  remember_endpoints();
  tcp_arg(pcb_, nullptr);
  if (state_ == State::listening) {
    tcp_accept(pcb_, nullptr);
    tcp_close(pcb_);  // never fails for a listener
  } else {
    tcp_recv(pcb_, nullptr);
    tcp_sent(pcb_, nullptr);
    tcp_err(pcb_, nullptr);
    // tcp_close resets a connection whose window is not lwIP's full one
    // (unread data); whether anything is unread was decided by our caller, and
    // a widened window (widen_window) is never lwIP's full one.
    if (!rst) pcb_->rcv_wnd = TCP_WND_MAX(pcb_);
    if (rst || tcp_close(pcb_) != ERR_OK) tcp_abort(pcb_);
  }
  pcb_ = nullptr;
}

std::size_t TcpSocket::send_space_locked() const noexcept {
  if (pcb_ == nullptr || state_ == State::listening) return 0;
  if (tcp_sndqueuelen(pcb_) + 2 >= TCP_SND_QUEUELEN) return 0;
  return pcb_->snd_buf;
}

// Returns receive window to lwIP for queued bytes, keeping rx_ bounded:
// - bytes the application consumed are given back;
// - queued bytes are given back early while the early part stays within
//   rx_limit_ - window_;
// - and the window is never left at exactly 0. lwIP 2.1 answers every
//   zero-length segment outside its window with an ACK (tcp_receive:
//   !TCP_SEQ_BETWEEN(seqno, rcv_nxt, rcv_nxt + rcv_wnd - 1)), and with rcv_wnd 0
//   nothing is inside: when both ends have a closed window, each pure ACK
//   triggers another, an endless ACK storm (over lwIP's loopback it livelocks the
//   stack thread). One byte is lent instead; the advertised window is still 0
//   (window scaling shifts the 1 away), so the peer only probes, one byte per
//   persist interval.
void TcpSocket::give_window(tcp_pcb* pcb, bool ack_held) noexcept {
  std::size_t give = 0;
  if (held_ > rx_bytes_) {  // consumed bytes whose window was still held
    give += held_ - rx_bytes_;
    held_ = rx_bytes_;
  }
  const std::size_t early_limit = rx_limit_ > window_ ? rx_limit_ - window_ : 0;
  const std::size_t early = rx_bytes_ - held_;
  if (early < early_limit && held_ > 0) {
    std::size_t n = std::min(held_, early_limit - early);
    give += n;
    held_ -= n;
  }
  if (pcb == nullptr || state_ == State::listening) return;
  if (give == 0 && pcb->rcv_wnd == 0 && held_ > 0) {
    give = 1;
    --held_;
  }
  if (give > 0) return_window(pcb, give, ack_held);
}

// lwIP's tcp_recved with window_ as the ceiling instead of TCP_WND: the window
// grows by len and an update goes out once it grew by a threshold's worth,
// unless on_recv just held the acknowledgement (hold_ack): what carries that
// one announces the window too. (Otherwise the first data of an accepted
// connection always cost a pure ACK, to announce what widen_window added.)
void TcpSocket::return_window(tcp_pcb* pcb, std::size_t len, bool ack_held) noexcept {
  pcb->rcv_wnd = static_cast<tcpwnd_size_t>(std::min<std::size_t>(pcb->rcv_wnd + len, window_));
  if (tcp_update_rcv_ann_wnd(pcb) >= TCP_WND_UPDATE_THRESHOLD && !ack_held) {
    tcp_ack_now(pcb);
    tcp_output(pcb);
  }
}

// Core held, on an established connection. Debian's lwIP compiles its window
// to 64 KiB (TCP_WND), which caps one stream at 64 KiB per round trip: on a
// loaded two-core machine, where a round trip under load is a few hundred
// microseconds, that and not the CPU was the limit. Window scaling is compiled
// in (shift 1), so once the peer agreed to it the window may be twice that;
// lwIP keeps rcv_wnd as a 32-bit count and only its tcp_recved clamps it, which
// return_window replaces. Never above the receive buffer: the window is what
// the peer may send before the application reads.
void TcpSocket::widen_window(tcp_pcb* pcb) noexcept {
  if ((pcb->flags & TF_WND_SCALE) == 0 || pcb->rcv_scale == 0) return;
  const std::size_t wide =
      std::min<std::size_t>(std::size_t{0xFFFF} << pcb->rcv_scale, rx_limit_);
  if (wide <= window_) return;
  const std::size_t more = wide - window_;
  window_ = wide;
  pcb->rcv_wnd = static_cast<tcpwnd_size_t>(pcb->rcv_wnd + more);
  tcp_update_rcv_ann_wnd(pcb);  // the next segment or ACK advertises it
}

// ---- lwIP callbacks (core lock held) ----

err_t TcpSocket::on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t /*err*/) {
  auto* self = static_cast<TcpSocket*>(arg);
  if (self == nullptr) {  // cannot happen: callbacks are cleared before arg is
    if (p != nullptr) pbuf_free(p);
    return ERR_OK;
  }
  const bool acceptor_on_input = p != nullptr && self->acceptor_on_input_thread();  // before mu_
  std::lock_guard lock(self->mu_);
  if (p == nullptr) {
    self->eof_ = true;
    // Both FINs seen: hand the pcb back now, because lwIP frees TIME_WAIT pcbs
    // without calling us. tcp_close here sends nothing (FIN already sent).
    if (self->wr_shut_) {
      self->release_pcb(false);
      self->dead_ = true;
    }
    self->notify_locked();
    return ERR_OK;
  }
  if (self->rd_shut_) {  // SHUT_RD: accepted and discarded, as Linux does
    self->return_window(pcb, p->tot_len, false);
    pbuf_free(p);
    return ERR_OK;
  }
  // lwIP delays the ACK of every other segment by up to 250 ms (Linux: 40 ms,
  // and not at all while a connection is young). A sender waiting for that ACK
  // stalls: in slow start (its window allows an odd number of segments) and
  // behind a short segment (Nagle holds the next short one until this one is
  // acknowledged). So, like Linux's quick ACKs: the first segments of a
  // connection, and every short one, are acknowledged at once; unless the
  // reader is the thread running this input. It reads as soon as the input
  // ends, and then either answers, and the answer carries the ACK (a request
  // and its response cross as two datagrams instead of four), or sleeps, and
  // the socket layer sends the held ACK first (send_held_acks). A connection
  // not accepted yet has no reader: its acceptor stands in for one (it accepts
  // and reads, or hands the connection on and sleeps).
  bool ack_held = false;
  if (p->tot_len < pcb->mss || self->quick_acks_ > 0) {
    ack_held = self->watched_from_input_thread_locked() || acceptor_on_input;
    if (ack_held)
      self->hold_ack();
    else
      tcp_ack_now(pcb);
    if (self->quick_acks_ > 0) --self->quick_acks_;
  }
  self->rx_bytes_ += p->tot_len;
  self->held_ += p->tot_len;
  self->rx_.push_back({p, 0});
  self->give_window(pcb, ack_held);
  self->notify_locked();
  return ERR_OK;
}

void TcpSocket::before_input(const TcpHeader& segment) noexcept {
  const ip_addr_t local = to_lwip(segment.destination.address);
  const ip_addr_t remote = to_lwip(segment.source.address);
  // lwIP moves the pcb it finds to the front of this list, so a busy
  // connection is found at once.
  for (tcp_pcb* p = tcp_active_pcbs; p != nullptr; p = p->next) {
    if (p->local_port != segment.destination.port || p->remote_port != segment.source.port ||
        !ip_addr_cmp(&p->local_ip, &local) || !ip_addr_cmp(&p->remote_ip, &remote))
      continue;
    if (p->recv != &TcpSocket::on_recv || p->callback_arg == nullptr) return;
    auto* self = static_cast<TcpSocket*>(p->callback_arg);
    self->lwip_recovering_ = (p->flags & TF_INFR) != 0;
    if (!self->lwip_recovering_) self->sent_mark_ = p->snd_nxt;
    return;
  }
}

// NewReno (RFC 6582) on top of lwIP 2.1's Reno. lwIP retransmits the first
// lost segment after three duplicate ACKs, but leaves fast recovery on the
// next ACK that acknowledges anything; when a window lost two segments, that
// ACK stops at the second hole, and lwIP then waits for three more duplicates
// (which only new data can provoke) or for its retransmission timer, a second
// or more in 500 ms ticks: that timer was most of the time lost to loss. Here
// an ACK below everything sent when recovery began (a partial ACK) resends
// the segment at the hole at once (tcp_rexmit queues it first; lwIP sends it
// at the end of this input) and keeps lwIP in recovery, so the duplicates
// that follow do not halve the window again. Not after lwIP's retransmission
// timer fired (TF_RTO): it resends everything itself.
void TcpSocket::recover_after_ack(tcp_pcb* pcb) noexcept {
  if (lwip_recovering_ && !recovering_) {
    recovering_ = true;
    recover_ = sent_mark_;
  }
  lwip_recovering_ = false;
  if (!recovering_) return;
  if (TCP_SEQ_LT(pcb->lastack, recover_) && pcb->unacked != nullptr &&
      (pcb->flags & TF_RTO) == 0) {
    tcp_rexmit(pcb);
    tcp_set_flags(pcb, TF_INFR);
  } else {
    recovering_ = false;
  }
}

err_t TcpSocket::on_sent(void* arg, tcp_pcb* pcb, u16_t /*len*/) {
  auto* self = static_cast<TcpSocket*>(arg);
  if (self == nullptr) return ERR_OK;
  std::lock_guard lock(self->mu_);
  self->recover_after_ack(pcb);
  self->output_locked();  // an acknowledged short segment may let the next one go
  std::size_t old = self->send_space_;
  self->send_space_ = self->send_space_locked();
  bool drained = pcb->unsent == nullptr && pcb->unacked == nullptr;
  if ((old < kWritableThreshold && self->send_space_ >= kWritableThreshold) || drained)
    self->notify_locked();
  return ERR_OK;
}

void TcpSocket::on_err(void* arg, err_t err) {
  auto* self = static_cast<TcpSocket*>(arg);
  if (self == nullptr) return;
  std::lock_guard lock(self->mu_);
  self->drop_held_ack();
  self->pcb_ = nullptr;  // lwIP has freed it
  self->dead_ = true;
  if (err != ERR_CLSD) {
    // ERR_ABRT reaches us only when lwIP itself gives a connection up (our own
    // aborts clear this callback first): retransmissions or keepalive probes
    // unanswered (tcp_slowtmr), its address leaving the stack (a network
    // left), or a pcb reclaimed under memory pressure. Linux says ETIMEDOUT
    // where its connections give up (docs/conformance.md, K3).
    if (self->state_ == State::connecting)
      self->error_ = err == ERR_RST    ? Error::connection_refused
                     : err == ERR_ABRT ? Error::timed_out
                                       : from_err(err);
    else
      self->error_ = err == ERR_ABRT ? Error::timed_out : from_err(err);
  }
  self->notify_locked();
}

err_t TcpSocket::on_connected(void* arg, tcp_pcb* pcb, err_t err) {
  auto* self = static_cast<TcpSocket*>(arg);
  if (self == nullptr) return ERR_OK;
  std::lock_guard lock(self->mu_);
  if (err == ERR_OK) {
    fit_segments_to_link(pcb);
    self->widen_window(pcb);
    self->state_ = State::connected;
    self->remember_endpoints();
    self->grow_send_buffer();
    self->send_space_ = self->send_space_locked();
  }
  self->notify_locked();
  return ERR_OK;
}

bool TcpSocket::acceptor_on_input_thread() const noexcept {
  TcpSocket* listener = queued_on_.load(std::memory_order_relaxed);
  if (listener == nullptr) return false;
  std::lock_guard lock(listener->mu_);
  return listener->watched_from_input_thread_locked();
}

err_t TcpSocket::on_accept(void* arg, tcp_pcb* pcb, err_t err) {
  auto* self = static_cast<TcpSocket*>(arg);
  if (self == nullptr || err != ERR_OK || pcb == nullptr) return ERR_VAL;
  std::lock_guard lock(self->mu_);
  if (self->state_ != State::listening || self->accept_q_.size() > self->backlog_) {
    // Closed, or full although admits() let the SYN in (it counts handshakes
    // under way, so only a listener that stopped listening gets here). lwIP
    // calls accept after the handshake: all that is left is a reset.
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  limit_time_wait();
  auto child = std::make_unique<TcpSocket>(self->family_, pcb, true);
  child->queued_on_.store(self, std::memory_order_relaxed);
  self->accept_q_.push_back(std::move(child));
  self->notify_locked();
  return ERR_OK;
}

bool TcpSocket::admits(const TcpSyn& syn) noexcept {
  const ip_addr_t local = to_lwip(syn.destination.address);
  const ip_addr_t remote = to_lwip(syn.source.address);
  // The listener lwIP's tcp_input would pick: one on the address, else one on any.
  tcp_pcb_listen* listener = nullptr;
  for (tcp_pcb_listen* l = tcp_listen_pcbs.listen_pcbs; l != nullptr; l = l->next) {
    if (l->local_port != syn.destination.port || IP_IS_V6_VAL(l->local_ip) != IP_IS_V6_VAL(local))
      continue;
    if (ip_addr_cmp(&l->local_ip, &local)) {
      listener = l;
      break;
    }
    if (ip_addr_isany_val(l->local_ip) && listener == nullptr) listener = l;
  }
  if (listener == nullptr || listener->accept != &TcpSocket::on_accept) return true;
  auto* self = static_cast<TcpSocket*>(listener->callback_arg);
  std::size_t queued = 0;
  std::size_t backlog = 0;
  {
    std::lock_guard lock(self->mu_);
    queued = self->accept_q_.size();
    backlog = self->backlog_;
  }
  if (queued > backlog) return false;
  // Handshakes under way will join the queue too. One scan of the connections:
  // counting this listener's, and letting through a SYN lwIP will match to a
  // connection it already has (a retransmitted SYN).
  std::size_t embryonic = 0;
  for (tcp_pcb* pcb = tcp_active_pcbs; pcb != nullptr; pcb = pcb->next) {
    if (pcb->local_port == syn.destination.port && pcb->remote_port == syn.source.port &&
        ip_addr_cmp(&pcb->local_ip, &local) && ip_addr_cmp(&pcb->remote_ip, &remote))
      return true;
    if (pcb->state == SYN_RCVD && pcb->listener == listener) ++embryonic;
  }
  return queued + embryonic <= backlog;
}

// ---- operations ----

Result<void> TcpSocket::bind(const Endpoint& local) {
  if (local.address.family != family_) return Error::invalid_argument;
  CoreLock core;
  std::lock_guard lock(mu_);
  if (state_ == State::closed) return Error::bad_handle;
  if (state_ != State::open || pcb_ == nullptr || pcb_->local_port != 0)
    return Error::invalid_argument;
  // Linux: an IPv4-mapped address on an IPv6-only socket is EINVAL.
  if (local.address.is_v4_mapped() && !dual()) return Error::invalid_argument;
  const ip_addr_t ip = to_lwip_for_socket(local.address, dual());
  if (!ip_addr_isany_val(ip) && !is_local_address(ip)) return Error::address_not_available;
  if (local.port != 0 && listener_holds(ip, local.port)) return Error::address_in_use;
  set_pcb_type(pcb_, IP_GET_TYPE(&ip));
  if (err_t e = tcp_bind(pcb_, &ip, local.port); e != ERR_OK) return from_err(e);
  remember_endpoints();
  return {};
}

Result<void> TcpSocket::listen(int backlog) {
  CoreLock core;
  std::lock_guard lock(mu_);
  if (state_ == State::closed) return Error::bad_handle;
  if (state_ == State::listening) {
    // Linux: a negative backlog (taken as unsigned) or one above somaxconn is
    // somaxconn; 0 still queues one connection.
    backlog_ = backlog < 0 ? kMaxBacklog : std::min(static_cast<std::size_t>(backlog), kMaxBacklog);
    return {};
  }
  if (state_ != State::open || pcb_ == nullptr) return Error::invalid_argument;
  if (pcb_->local_port == 0) {
    const ip_addr_t any = to_lwip_for_socket(IpAddress::any(family_), dual());
    set_pcb_type(pcb_, IP_GET_TYPE(&any));
    if (err_t e = tcp_bind(pcb_, &any, 0); e != ERR_OK) return from_err(e);
  }
  err_t e = ERR_OK;
  // lwIP's own backlog is compiled out (TCP_LISTEN_BACKLOG 0); ours is accept_q_.
  tcp_pcb* lpcb = tcp_listen_with_backlog_and_err(pcb_, 255, &e);
  if (lpcb == nullptr) return from_err(e);
  pcb_ = lpcb;  // tcp_listen freed the old pcb
  state_ = State::listening;
  // Linux: a negative backlog (taken as unsigned) or one above somaxconn is
  // somaxconn; 0 still queues one connection.
  backlog_ = backlog < 0 ? kMaxBacklog : std::min(static_cast<std::size_t>(backlog), kMaxBacklog);
  tcp_arg(pcb_, this);
  tcp_accept(pcb_, &TcpSocket::on_accept);
  remember_endpoints();
  return {};
}

Result<std::unique_ptr<Socket>> TcpSocket::accept(Endpoint* peer) {
  std::lock_guard lock(mu_);
  if (state_ == State::closed) return Error::bad_handle;
  if (state_ != State::listening) return Error::invalid_argument;
  if (accept_q_.empty()) return Error::would_block;
  std::unique_ptr<TcpSocket> s = std::move(accept_q_.front());
  accept_q_.pop_front();
  s->queued_on_.store(nullptr, std::memory_order_relaxed);
  if (peer != nullptr) {
    // Set when lwIP handed the pcb over, so a connection reset while queued
    // still names its client (as Linux's accept does).
    std::lock_guard child(s->mu_);
    if (s->remote_) *peer = *s->remote_;
  }
  return std::unique_ptr<Socket>(std::move(s));
}

Result<void> TcpSocket::connect(const Endpoint& remote) {
  if (remote.address.family != family_) return Error::invalid_argument;
  if (remote.port == 0 || remote.address.is_any()) return Error::invalid_argument;
  CoreLock core;
  std::lock_guard lock(mu_);
  switch (state_) {
    case State::closed: return Error::bad_handle;
    case State::listening: return Error::already_connected;  // Linux's EISCONN
    case State::connecting: return Error::already_in_progress;
    case State::connected: return dead_ ? Error::invalid_state : Error::already_connected;
    case State::open: break;
  }
  if (pcb_ == nullptr || dead_) return Error::invalid_state;
  limit_time_wait();
  // An IPv4-mapped address is IPv4 on a dual-stack socket that is unbound or
  // bound to both families. Otherwise lwIP would take it for an on-link IPv6
  // address and wait for neighbour discovery forever; Linux says ENETUNREACH.
  if (remote.address.is_v4_mapped()) {
    if (!dual()) return Error::network_unreachable;
    if (pcb_->local_port == 0) {
      set_pcb_type(pcb_, IPADDR_TYPE_V4);  // an IPv4 connection from now on
    } else if (IP_IS_V6_VAL(pcb_->local_ip)) {
      return Error::network_unreachable;  // bound to an IPv6 address
    }
  }
  const ip_addr_t ip = to_lwip_for_socket(remote.address, dual());
  if (err_t e = tcp_connect(pcb_, &ip, remote.port, &TcpSocket::on_connected); e != ERR_OK)
    return from_err(e);
  state_ = State::connecting;
  remember_endpoints();
  return Error::in_progress;
}

Result<std::size_t> TcpSocket::send(ByteSpan data) {
  CoreLock core;
  std::lock_guard lock(mu_);
  if (state_ == State::closed) return Error::bad_handle;
  if (error_) {
    Error e = *error_;
    error_.reset();
    return e;
  }
  if (wr_shut_ || dead_) return Error::closed;
  if (state_ == State::connecting) return Error::would_block;
  if (state_ != State::connected || pcb_ == nullptr) return Error::not_connected;
  if (data.empty()) return std::size_t{0};
  std::size_t n = std::min({data.size(), send_space_locked(), std::size_t{0xFFFF}});
  if (n == 0) {
    send_space_ = 0;
    return Error::would_block;
  }
  err_t e = tcp_write(pcb_, data.data(), static_cast<u16_t>(n), TCP_WRITE_FLAG_COPY);
  if (e == ERR_MEM) {
    send_space_ = 0;
    return Error::would_block;
  }
  if (e != ERR_OK) return from_err(e);
  output_locked();
  if ((pcb_->flags & TF_ACK_DELAY) == 0) drop_held_ack();  // the segment carried it
  send_space_ = send_space_locked();
  return n;
}

void TcpSocket::hold_ack() noexcept {
  if (ack_held_) return;
  ack_held_ = true;
  held_acks().push_back(this);
  g_acks_held.store(true, std::memory_order_relaxed);
}

void TcpSocket::drop_held_ack() noexcept {
  if (!ack_held_) return;
  ack_held_ = false;
  auto& held = held_acks();
  std::erase(held, this);
  if (held.empty()) g_acks_held.store(false, std::memory_order_relaxed);
}

void TcpSocket::send_held_acks() noexcept {
  // Relaxed: the thread that held an acknowledgement is the one that usually
  // comes here; another thread that misses it leaves it to the next sleeper or
  // to lwIP's delayed-ACK timer (TF_ACK_DELAY is set: 250 ms at most).
  if (!g_acks_held.load(std::memory_order_relaxed)) return;
  CoreLock core;
  auto& held = held_acks();
  for (TcpSocket* s : held) {
    std::lock_guard lock(s->mu_);
    s->ack_held_ = false;
    if (s->pcb_ != nullptr && (s->pcb_->flags & TF_ACK_DELAY) != 0) {
      tcp_ack_now(s->pcb_);
      tcp_output(s->pcb_);
    }
  }
  held.clear();
  g_acks_held.store(false, std::memory_order_relaxed);
}

void TcpSocket::output_locked() {
  if (pcb_ == nullptr) return;
  // Nagle's rule as Linux applies it (Minshall's variant): a segment shorter
  // than the MSS may leave whenever no other short one is sent and
  // unacknowledged. lwIP's own rule holds it back while ANY data is
  // unacknowledged, so the tail of a write waited for the ACK of the full
  // segment before it, which a receiver delaying every second ACK sends
  // 250 ms late. So lwIP's Nagle flag is on only while a short segment is
  // unacknowledged, and it is left as decided here: called from on_sent,
  // inside lwIP's input processing, tcp_output does nothing, and lwIP sends
  // at the end of that processing under the flag. (Restoring the flag after
  // the call made the rule a no-op on ACKs: a stream whose writes left short
  // tails stalled for a delayed ACK, 250 ms, several times a second.)
  const bool short_unacked = short_in_flight_ && TCP_SEQ_LT(pcb_->lastack, short_end_) &&
                             TCP_SEQ_GEQ(pcb_->snd_nxt, short_end_);
  if (nagle_ && short_unacked) {
    tcp_nagle_enable(pcb_);
  } else {
    tcp_nagle_disable(pcb_);
    const tcp_seg* tail = pcb_->unsent;
    while (tail != nullptr && tail->next != nullptr) tail = tail->next;
    if (nagle_ && tail != nullptr && tail->len < pcb_->mss) {
      // The short segment in flight once it leaves (until then it holds nothing
      // back: short_end_ is beyond snd_nxt).
      short_in_flight_ = true;
      short_end_ = lwip_ntohl(tail->tcphdr->seqno) + tail->len;
    }
  }
  tcp_output(pcb_);
}

void TcpSocket::maybe_recved(bool force) {
  {
    std::lock_guard lock(mu_);
    if (consumed_unreported_ == 0) return;
    // Nothing held back: the window for every queued byte was given at arrival
    // (the usual case below rx_limit_ - window_), so give_window would do nothing.
    // Skipping the core lock here saves a lock round on every read, which the
    // request/response path feels.
    if (held_ == 0) {
      consumed_unreported_ = 0;
      return;
    }
    if (!force && consumed_unreported_ < kRecvedBatch && rx_bytes_ != 0) return;
  }
  CoreLock core;
  std::lock_guard lock(mu_);
  consumed_unreported_ = 0;
  give_window(pcb_, false);
}

std::optional<Result<std::size_t>> TcpSocket::nothing_to_read_locked() noexcept {
  if (state_ == State::closed) return Error::bad_handle;
  if (state_ == State::listening) return Error::not_connected;
  if (rx_bytes_ > 0) return std::nullopt;
  if (error_) {
    Error e = *error_;
    error_.reset();
    return e;
  }
  if (eof_ || rd_shut_ || dead_) return std::size_t{0};
  if (state_ == State::open) return Error::not_connected;
  return Error::would_block;
}

Result<std::size_t> TcpSocket::recv(MutableByteSpan buffer, bool peek,
                                    std::size_t* /*datagram_size*/) {
  std::size_t copied = 0;
  {
    std::lock_guard lock(mu_);
    if (auto r = nothing_to_read_locked()) return *r;
    auto it = rx_.begin();
    std::size_t offset = it->offset;
    while (copied < buffer.size() && it != rx_.end()) {
      std::size_t avail = it->chain->tot_len - offset;
      std::size_t n = std::min(avail, buffer.size() - copied);
      pbuf_copy_partial(it->chain, buffer.data() + copied, static_cast<u16_t>(n),
                        static_cast<u16_t>(offset));
      copied += n;
      if (n == avail) {
        ++it;
        offset = it == rx_.end() ? 0 : it->offset;
      } else {
        offset += n;
      }
    }
    if (!peek) {
      while (rx_.begin() != it) {
        pbuf_free(rx_.front().chain);  // thread-safe: see core_lock.cpp
        rx_.pop_front();
      }
      if (it != rx_.end()) it->offset = offset;
      rx_bytes_ -= copied;
      consumed_unreported_ += copied;
    }
  }
  if (!peek) maybe_recved(false);
  return copied;
}

Result<std::size_t> TcpSocket::recv_visit(const std::function<std::size_t(ByteSpan)>& visitor) {
  std::size_t consumed = 0;
  {
    std::lock_guard lock(mu_);
    if (auto r = nothing_to_read_locked()) return *r;
    bool stop = false;
    while (!stop && !rx_.empty()) {
      Chunk& c = rx_.front();
      // Find the pbuf holding offset c.offset in the chain.
      std::size_t skip = c.offset;
      const pbuf* q = c.chain;
      while (q != nullptr && skip >= q->len) {
        skip -= q->len;
        q = q->next;
      }
      for (; q != nullptr; q = q->next, skip = 0) {
        ByteSpan s = payload(q, skip);
        std::size_t n = std::min(visitor(s), s.size());
        consumed += n;
        c.offset += n;
        if (n < s.size()) {
          stop = true;
          break;
        }
      }
      if (c.offset == c.chain->tot_len) {
        pbuf_free(c.chain);
        rx_.pop_front();
      }
    }
    rx_bytes_ -= consumed;
    consumed_unreported_ += consumed;
  }
  maybe_recved(false);
  if (consumed == 0) return Error::would_block;  // the visitor took nothing
  return consumed;
}

Result<std::size_t> TcpSocket::send_to(ByteSpan data, const Endpoint& /*remote*/) {
  return send(data);  // BSD ignores the address on a connected stream socket
}

Result<std::size_t> TcpSocket::recv_from(MutableByteSpan buffer, Endpoint& from,
                                         std::size_t* /*datagram_size*/) {
  auto r = recv(buffer, false, nullptr);
  if (r) {
    if (auto p = peer_endpoint(); p) from = *p;
  }
  return r;
}

Result<void> TcpSocket::shutdown(bool read, bool write) {
  Fifo<Chunk> dropped;
  {
    CoreLock core;
    std::lock_guard lock(mu_);
    if (state_ == State::closed) return Error::bad_handle;
    if (state_ != State::connected) return Error::not_connected;
    if (read && !rd_shut_) {
      rd_shut_ = true;
      consumed_unreported_ += rx_bytes_;
      rx_bytes_ = 0;
      dropped.swap(rx_);
    }
    if (write && !wr_shut_) {
      wr_shut_ = true;
      if (pcb_ != nullptr && !dead_) {
        consumed_unreported_ = 0;
        give_window(pcb_, false);
        if (eof_) {
          // Peer already finished: our FIN completes the close; lwIP frees the
          // pcb after the last ACK (err callback, ERR_CLSD).
          tcp_shutdown(pcb_, 0, 1);
        } else if (err_t e = tcp_shutdown(pcb_, 0, 1); e != ERR_OK) {
          return from_err(e);
        }
      }
    }
    wake_all_locked();
  }
  for (auto& c : dropped) pbuf_free(c.chain);
  maybe_recved(true);
  return {};
}

void TcpSocket::close_locked(bool rst, std::vector<Chunk>& rx,
                             std::vector<std::unique_ptr<TcpSocket>>& children) noexcept {
  {
    std::lock_guard lock(mu_);
    if (state_ == State::closed) return;
    // Unread data makes the close a reset, as in BSD. (lwIP would decide from its
    // window, which early give-back may have reopened.)
    release_pcb(rst || rx_bytes_ > 0);
    state_ = State::closed;
    dead_ = true;
    for (auto& c : rx_) rx.push_back(c);
    rx_.clear();
    rx_bytes_ = 0;
    for (auto& c : accept_q_) children.push_back(std::move(c));
    accept_q_.clear();
    wake_all_locked();
  }
}

void TcpSocket::close() noexcept { end(false); }

void TcpSocket::abort() noexcept { end(true); }

void TcpSocket::end(bool rst) noexcept {
  std::vector<Chunk> rx;
  std::vector<std::unique_ptr<TcpSocket>> children;
  {
    CoreLock core;
    close_locked(rst, rx, children);
    // Connections never accepted are reset, as BSD does. (They have no children.)
    std::vector<std::unique_ptr<TcpSocket>> none;
    for (auto& c : children) c->close_locked(true, rx, none);
  }
  for (auto& c : rx) pbuf_free(c.chain);
}

Result<void> TcpSocket::set_option(Option option, int value) {
  CoreLock core;
  std::lock_guard lock(mu_);
  if (state_ == State::closed) return Error::bad_handle;
  if (option == Option::recv_buffer) {
    if (value <= 0) return Error::invalid_argument;
    rx_limit_ = std::clamp<std::size_t>(static_cast<std::size_t>(value), TCP_WND, kMaxRecvBuffer);
    return {};
  }
  if (option == Option::send_buffer) {
    if (value <= 0) return Error::invalid_argument;
    return {};  // fixed (kSendBuffer); get reports it
  }
  if (option == Option::v6_only) {
    if (family_ != Family::v6) return Error::unsupported;
    // Linux: only before the socket has an address (bind, listen, connect).
    if (state_ != State::open || pcb_ == nullptr || pcb_->local_port != 0)
      return Error::invalid_argument;
    v6_only_ = value != 0;
    return {};
  }
  if (pcb_ == nullptr) return Error::invalid_state;
  bool listener = state_ == State::listening;  // a listen pcb has only the common fields
  switch (option) {
    case Option::reuse_addr:
      if (value != 0)
        ip_set_option(pcb_, SOF_REUSEADDR);
      else
        ip_reset_option(pcb_, SOF_REUSEADDR);
      return {};
    case Option::keep_alive:
      if (value != 0)
        ip_set_option(pcb_, SOF_KEEPALIVE);
      else
        ip_reset_option(pcb_, SOF_KEEPALIVE);
      return {};
    default: break;
  }
  if (listener) return Error::unsupported;
  if (value < 0) return Error::invalid_argument;
  switch (option) {
    case Option::keep_idle_s:
      if (value < 1 || value > 86400) return Error::invalid_argument;
      pcb_->keep_idle = static_cast<u32_t>(value) * 1000U;
      return {};
    case Option::keep_interval_s:
      if (value < 1 || value > 86400) return Error::invalid_argument;
      pcb_->keep_intvl = static_cast<u32_t>(value) * 1000U;
      return {};
    case Option::keep_count:
      if (value < 1 || value > 127) return Error::invalid_argument;
      pcb_->keep_cnt = static_cast<u32_t>(value);
      return {};
    case Option::no_delay:
      nagle_ = value == 0;
      if (state_ == State::connected) output_locked();  // as on Linux, what Nagle held leaves now
      return {};
    default: return Error::invalid_argument;
  }
}

Result<int> TcpSocket::get_option(Option option) {
  CoreLock core;
  std::lock_guard lock(mu_);
  if (state_ == State::closed) return Error::bad_handle;
  switch (option) {
    case Option::recv_buffer: return static_cast<int>(rx_limit_);
    case Option::send_buffer: return static_cast<int>(kSendBuffer);
    case Option::v6_only:
      if (family_ != Family::v6) return Error::unsupported;
      return v6_only_ ? 1 : 0;
    case Option::send_queued:
      if (pcb_ == nullptr || state_ == State::listening) return 0;
      return static_cast<int>(send_capacity_ - pcb_->snd_buf);
    default: break;
  }
  if (pcb_ == nullptr) return Error::invalid_state;
  switch (option) {
    case Option::reuse_addr: return ip_get_option(pcb_, SOF_REUSEADDR) ? 1 : 0;
    case Option::keep_alive: return ip_get_option(pcb_, SOF_KEEPALIVE) ? 1 : 0;
    default: break;
  }
  if (state_ == State::listening) return Error::unsupported;
  switch (option) {
    case Option::keep_idle_s: return static_cast<int>(pcb_->keep_idle / 1000U);
    case Option::keep_interval_s: return static_cast<int>(pcb_->keep_intvl / 1000U);
    case Option::keep_count: return static_cast<int>(pcb_->keep_cnt);
    case Option::no_delay: return nagle_ ? 0 : 1;
    default: return Error::invalid_argument;
  }
}

Result<Endpoint> TcpSocket::local_endpoint() {
  CoreLock core;
  std::lock_guard lock(mu_);
  if (state_ == State::closed) return Error::bad_handle;
  if (pcb_ == nullptr) {
    // The connection ended and lwIP freed the pcb: the last local address, as
    // Linux reports it.
    if (last_local_) return *last_local_;
    return Error::invalid_state;
  }
  return endpoint_of(pcb_->local_ip, pcb_->local_port, family_);
}

Result<Endpoint> TcpSocket::peer_endpoint() {
  CoreLock core;
  std::lock_guard lock(mu_);
  if (state_ == State::closed) return Error::bad_handle;
  if (state_ != State::connected || pcb_ == nullptr) return Error::not_connected;
  return endpoint_of(pcb_->remote_ip, pcb_->remote_port, family_);
}

std::uint32_t TcpSocket::events_locked() const noexcept {
  if (state_ == State::closed) return Events::hangup;
  if (state_ == State::listening) return accept_q_.empty() ? 0U : Events::readable;
  std::uint32_t e = 0;
  if (rx_bytes_ > 0 || eof_ || rd_shut_ || error_ || dead_) e |= Events::readable;
  if (error_) e |= Events::error;
  if (dead_ || wr_shut_ || state_ == State::open ||
      (state_ == State::connected && send_space_ >= kWritableThreshold))
    e |= Events::writable;
  if (dead_ || (eof_ && wr_shut_) || state_ == State::open) e |= Events::hangup;
  if (eof_) e |= Events::read_hangup;
  return e;
}

std::uint32_t TcpSocket::events() {
  std::lock_guard lock(mu_);
  return events_locked();
}

Result<void> TcpSocket::take_error() {
  std::lock_guard lock(mu_);
  if (!error_) return {};
  Error e = *error_;
  error_.reset();
  return e;
}

}  // namespace weft::stack::lwip
