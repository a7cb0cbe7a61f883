#include "stack/lwip/core_lock.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "base/bytes.hpp"
#include "tap/tap.hpp"

namespace weft::stack::lwip {

namespace {

// A burst from one locked section is bounded by the send window (64 KiB ≈ 45
// frames) plus ACKs; past this many frames they leave early, in order.
constexpr std::size_t kMaxPending = 256;

struct Pending {
  tap::Tap* tap;
  pbuf* p;
  ByteSpan bytes;  // captured at linkoutput: lwIP may move payload later
};

// Guarded by the lwIP core lock. Empty whenever the core lock is free. Never
// destroyed: lwIP's thread runs timers (and may transmit) until the process ends.
std::vector<Pending>& pending() {
  static auto* v = [] {
    auto* x = new std::vector<Pending>;
    x->reserve(kMaxPending);
    return x;
  }();
  return *v;
}

// Serialises transmission so frames leave in the order lwIP produced them.
// Lock order: core lock, then this. Never destroyed, as above.
std::mutex& tx_mutex() {
  static auto* m = new std::mutex;
  return *m;
}

// Held shared by a CoreLock section from just before it releases the core lock
// until it has woken the sockets it deferred; taken exclusively by
// wait_for_deferred_wakes before a socket is freed. Never destroyed, as above.
std::shared_mutex& wake_gate() {
  static auto* m = new std::shared_mutex;
  return *m;
}

thread_local int t_sections = 0;
thread_local std::vector<Wakeable*> t_wakes;

// Transmits (tap, pbuf) runs; frees the pbufs. Called with tx_mutex held.
void transmit_all(std::vector<Pending>& frames) {
  thread_local std::vector<ByteSpan> spans;
  std::size_t i = 0;
  while (i < frames.size()) {
    tap::Tap* tap = frames[i].tap;
    spans.clear();
    std::size_t j = i;
    for (; j < frames.size() && frames[j].tap == tap; ++j)
      spans.push_back(frames[j].bytes);
    tap->transmit(spans);
    i = j;
  }
  // pbuf_free is safe without the core lock: reference counts are protected by
  // SYS_ARCH_PROTECT and memory comes from malloc (MEM_LIBC_MALLOC).
  for (auto& f : frames) pbuf_free(f.p);
  frames.clear();
}

}  // namespace

CoreLock::CoreLock() noexcept {
  LOCK_TCPIP_CORE();
  ++t_sections;
}

CoreLock::~CoreLock() {
  --t_sections;
  // Wake after the core lock is released: a woken thread's next call (a send)
  // takes the core lock, and woken before the release it would block on it at
  // once (on one core: two extra context switches per wake-up). The gate keeps
  // the sockets to wake alive meanwhile (wait_for_deferred_wakes).
  thread_local std::vector<Wakeable*> wakes;
  wakes.swap(t_wakes);
  std::shared_lock<std::shared_mutex> gate;
  if (!wakes.empty()) gate = std::shared_lock(wake_gate());
  auto& q = pending();
  if (q.empty()) {
    UNLOCK_TCPIP_CORE();
  } else {
    // Frames first (the transmit mutex keeps their order), then the wakes, so a
    // woken sender does not wait for this thread's transmission.
    thread_local std::vector<Pending> out;
    std::unique_lock tx(tx_mutex());
    out.swap(q);
    UNLOCK_TCPIP_CORE();
    transmit_all(out);
  }
  for (Wakeable* w : wakes) w->wake_watchers();
  wakes.clear();
}

void wait_for_deferred_wakes() noexcept { std::unique_lock lock(wake_gate()); }

bool defer_wake(Wakeable* s) noexcept {
  if (t_sections == 0) return false;
  if (std::find(t_wakes.begin(), t_wakes.end(), s) == t_wakes.end()) t_wakes.push_back(s);
  return true;
}

void queue_frame(tap::Tap& tap, pbuf* p) noexcept {
  // lwIP "tries" to emit single pbufs (LWIP_NETIF_TX_SINGLE_PBUF); a chain is
  // flattened here so the tap sees one contiguous frame.
  pbuf* frame = p;
  if (p->next != nullptr) {
    frame = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
    if (frame == nullptr) return;  // lost like a frame on a busy wire; TCP retransmits
  } else {
    pbuf_ref(p);
  }
  auto& q = pending();
  q.push_back({&tap, frame, as_bytes(frame->payload, frame->len)});
  if (t_sections == 0 || q.size() >= kMaxPending) {
    std::lock_guard tx(tx_mutex());
    transmit_all(q);
  }
}

}  // namespace weft::stack::lwip
