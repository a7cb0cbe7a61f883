// weft-wire-bench: encrypted VL1 throughput node to node on loopback, beside a
// bare UDP blast of datagrams of the same size measured in the same run.
//
//   weft-wire-bench [--runs N] [--frames F] [--window W] [--pin]
//                   [--cases bare,gso,udp1400,udp1472,1400,1472] [--sizes 1400,1514,2800]
//   taskset -c 0,1 build/ci/bench/weft-wire-bench --runs 5
//
// In one process: a root (service::RootService) and two nodes
// (runtime::WireNode) on 127.0.0.1. Node A's caller thread (this one) sends
// frames to B with WireNode::send_frames, kBatch at a time; B's observer, on
// B's I/O thread, checks every frame's sequence number and contents and counts
// it. The reference sends datagrams of the frame's size from one
// osdep::UdpSocket to another (send_batch / recv_batch, same batch, same
// window, same checks), so the only difference is what Weft does: sealing,
// fragmenting, the node, the I/O loop, opening and reassembling. A second
// reference ("gso") uses the kernel offloads a WireNode uses (send_burst with
// UDP GSO, a GRO receiver); the fair ones ("udp1400", "udp1472") send, per
// frame, the very datagrams Weft makes of it at that path MTU (a fragmented
// frame is several, of unequal size), a batch through an osdep::Outbox as a
// WireNode sends it (fragments before a frame's last may lead, so a batch's
// full-size fragments share GSO messages), to a GRO receiver: the kernel's
// work is then Weft's, and the
// "fair" column is Weft's rate over it. Weft runs at the default path MTU
// (1400) and at 1472, where a 1,400-byte frame fits one datagram.
// bench/README.md has the figures.
//
// Everything is in one process on purpose: the sender learns what the receiver
// has taken through a condition variable in both cases, so the flow control and
// the scheduling are the same for Weft and the reference, and the kernel's
// loopback path does not care whether the two sockets share a process.
//
// The sender keeps at most `window` frames in flight: a UDP receiver drops
// what it cannot queue, and a benchmark that loses frames measures nothing.
// Lost, reordered and corrupted frames are counted and printed, never hidden.
//
// With --pin the sending thread runs on the first CPU of the affinity mask and
// every other thread (the receivers, idle root and node A's I/O thread) on the
// second, so the two busy threads never share a core.

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/identity.hpp"
#include "crypto/packet_cipher.hpp"
#include "osdep/datagram_loop.hpp"
#include "osdep/poller.hpp"
#include "osdep/udp_socket.hpp"
#include "runtime/wire_endpoint.hpp"
#include "runtime/wire_node.hpp"
#include "service/root_service.hpp"

namespace {

using namespace weft;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kBatch = 64;
// As osdep::DatagramLoop: full batches read per wakeup.
constexpr int kBatchesPerWakeup = 16;
constexpr std::size_t kSeqBytes = 8;
constexpr std::size_t kMaxFrame = 4096;

// ---- Frame contents: an 8-byte sequence number, then pattern bytes that
// depend on it, so a frame delivered with another's bytes, cut short or
// altered is caught. The number is big-endian, so a frame's first byte stays
// 0: a VL1 frame starting with 0x20-0x2f is a VL2 message to a node, which
// would take it for its own (and drop it) instead of delivering it.

void store_seq(MutableByteSpan frame, std::uint64_t seq) {
  store_be64(frame.first<kSeqBytes>(), seq);
}

class Pattern {
 public:
  Pattern() : bytes_(kMaxFrame + 256) {
    std::mt19937 rng(4);
    for (auto& b : bytes_) b = static_cast<std::byte>(rng());
  }
  // The bytes of frame `seq` after its sequence number.
  [[nodiscard]] const std::byte* body(std::uint64_t seq) const noexcept {
    return bytes_.data() + seq % 256 + kSeqBytes;
  }

 private:
  Bytes bytes_;
};

const Pattern& pattern() {
  static const Pattern p;
  return p;
}

// The sender's frames: one buffer per seq % 256 with the pattern in place, so
// only the sequence number is written per frame (the sends copy synchronously,
// so a buffer may be reused by the next batch).
class FrameSource {
 public:
  explicit FrameSource(std::size_t size) : size_(size), frames_(256, Bytes(size)) {
    for (std::size_t i = 0; i < frames_.size(); ++i)
      std::memcpy(frames_[i].data() + kSeqBytes, pattern().body(i), size - kSeqBytes);
  }
  // The next kBatch frames, numbered from `seq` on.
  std::span<const ByteSpan> batch(std::uint64_t seq) {
    for (std::size_t i = 0; i < kBatch; ++i, ++seq) {
      Bytes& f = frames_[seq % 256];
      store_seq(f, seq);
      spans_[i] = f;
    }
    return spans_;
  }

 private:
  std::size_t size_;
  std::vector<Bytes> frames_;
  std::array<ByteSpan, kBatch> spans_{};
};

// The receiver's side: checks frames in arrival order and lets the sender wait
// for progress.
class Receiver {
 public:
  struct Counts {
    std::uint64_t received{0};   // intact frames
    std::uint64_t reordered{0};  // completed after a later-numbered one
    std::uint64_t corrupt{0};    // wrong size or contents
  };

  // Before a measurement (nothing in flight): frames of `size`, numbered from
  // `first`. With `pieces` (the "same datagrams" reference), each frame is
  // pieces.size() datagrams of those sizes, numbered on their own
  // (frame * pieces.size() + k); counts and waits are still in frames, and a
  // frame completes with its last datagram (the others may come early, as
  // osdep::Outbox sends them).
  void expect(std::size_t size, std::uint64_t first, std::vector<std::size_t> pieces = {}) {
    std::lock_guard lock(m_);
    if (pieces.empty()) pieces.push_back(size);
    pieces_ = std::move(pieces);
    next_ = first;
    counts_ = {};
  }

  // From the receiving thread: check a batch, then publish it.
  void take(std::span<const ByteSpan> frames) {
    std::uint64_t next = 0;
    {
      std::lock_guard lock(m_);
      next = next_;
    }
    // pieces_ changes only in expect(), with nothing in flight.
    const std::size_t per = pieces_.size();
    Counts c;
    for (const ByteSpan f : frames) {
      std::uint64_t seq = 0;
      if (f.size() < kSeqBytes) {
        ++c.corrupt;
        continue;
      }
      seq = load_be64(f.first<kSeqBytes>());
      if (f.size() != pieces_[seq % per] ||
          std::memcmp(f.data() + kSeqBytes, pattern().body(seq), f.size() - kSeqBytes) != 0) {
        ++c.corrupt;
        continue;
      }
      ++c.received;
      if (seq % per != per - 1) continue;
      if (seq / per < next) ++c.reordered;
      next = std::max(next, seq / per + 1);
    }
    {
      std::lock_guard lock(m_);
      next_ = next;
      counts_.received += c.received;
      counts_.reordered += c.reordered;
      counts_.corrupt += c.corrupt;
      seen_ += frames.size();
    }
    cv_.notify_all();
  }

  // Waits until `n` frames arrived since expect(); false if nothing arrived
  // for a second (frames were lost; the figures say how many).
  bool wait_for(std::uint64_t frames) {
    std::unique_lock lock(m_);
    const std::uint64_t n = frames * pieces_.size();
    while (counts_.received + counts_.corrupt < n) {
      const std::uint64_t before = seen_;
      cv_.wait_for(lock, std::chrono::seconds(1),
                   [&] { return counts_.received + counts_.corrupt >= n; });
      if (seen_ == before) return false;
    }
    return true;
  }

  // In frames (a frame of several datagrams counts once all arrived intact).
  Counts counts() {
    std::lock_guard lock(m_);
    const std::uint64_t per = pieces_.size();
    return {counts_.received / per, counts_.reordered, (counts_.corrupt + per - 1) / per};
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::size_t> pieces_{1};  // datagram sizes of one frame
  std::uint64_t next_{0};               // the frame expected to complete next
  std::uint64_t seen_{0};               // every frame ever taken: progress, for wait_for
  Counts counts_;
};

struct Measurement {
  std::uint64_t sent{0};
  Receiver::Counts counts;
  double seconds{0};
  [[nodiscard]] double fps() const { return static_cast<double>(counts.received) / seconds; }
};

// Sends `frames` frames (a multiple of kBatch) through `send`, at most
// `window` beyond what the receiver has taken.
template <typename Send>
Measurement drive(Receiver& rx, std::uint64_t& seq, std::size_t size, std::size_t frames,
                  std::size_t window, Send send, std::vector<std::size_t> pieces = {}) {
  FrameSource source(size);
  rx.expect(size, seq, std::move(pieces));
  Measurement m;
  const auto t0 = Clock::now();
  while (m.sent < frames) {
    if (m.sent + kBatch > window && !rx.wait_for(m.sent + kBatch - window)) break;
    send(source.batch(seq));
    seq += kBatch;
    m.sent += kBatch;
  }
  rx.wait_for(m.sent);
  m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  m.counts = rx.counts();
  return m;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "weft-wire-bench: %s\n", what);
  std::exit(1);
}

// UDP payload bytes per datagram of data: header and tag (docs/protocol.md §5).
constexpr std::size_t kDataOverhead = 32;
constexpr std::size_t kFragmentHeader = 16;
constexpr std::size_t kFrameHeader = 1;

// The plaintexts of the data messages one frame becomes (docs/protocol.md §5.2-5.3).
std::vector<std::size_t> plaintexts(std::size_t frame, std::size_t path_mtu) {
  const std::size_t inner = frame + kFrameHeader;
  if (inner + kDataOverhead <= path_mtu) return {inner};
  const std::size_t per = path_mtu - kDataOverhead - kFragmentHeader;
  std::vector<std::size_t> v;
  for (std::size_t off = 0; off < inner; off += per)
    v.push_back(kFragmentHeader + std::min(per, inner - off));
  return v;
}

// The UDP datagrams one frame becomes at that path MTU.
std::vector<std::size_t> datagrams(std::size_t frame, std::size_t path_mtu) {
  auto v = plaintexts(frame, path_mtu);
  for (auto& z : v) z += kDataOverhead;
  return v;
}

// ---- The reference: two osdep::UdpSockets, nothing else.

class BarePair {
 public:
  // gso: one send_burst per batch (UDP GSO, one destination) instead of
  // send_batch, and GRO on the receiving socket, as a WireNode has them.
  // path_mtu (with gso): each frame is sent as the datagrams Weft makes of it
  // at that path MTU (sizes only: fragments and their sealing overhead), all
  // of a batch through an osdep::Outbox with the order a WireNode gives them,
  // so the kernel does the same work for both.
  explicit BarePair(bool gso, std::size_t path_mtu = 0) : gso_(gso), path_mtu_(path_mtu) {
    auto a = osdep::UdpSocket::bind(osdep::Endpoint::loopback_v4(0), {.gso = gso});
    auto b = osdep::UdpSocket::bind(osdep::Endpoint::loopback_v4(0), {.gso = false, .gro = gso});
    auto poller = osdep::Poller::create();
    if (!a || !b || !poller || !poller->add(b->fd(), 1)) {
      std::fprintf(stderr, "bare UDP sockets: setup failed\n");
      std::exit(1);
    }
    a_ = std::make_unique<osdep::UdpSocket>(std::move(*a));
    b_ = std::make_unique<osdep::UdpSocket>(std::move(*b));
    poller_ = std::make_unique<osdep::Poller>(std::move(*poller));
    if (gso && !(a_->gso_enabled() && b_->gro_enabled())) fail("this kernel lacks UDP GSO/GRO");
    const std::size_t slot = gso ? osdep::UdpSocket::kMaxGroBytes : kMaxFrame;
    storage_.resize(kBatch * slot);
    slots_.resize(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i)
      slots_[i].buffer = MutableByteSpan(storage_).subspan(i * slot, slot);
    thread_ = std::thread([this] { run(); });
  }
  ~BarePair() {
    stopping_ = true;
    poller_->wake();
    thread_.join();
  }
  BarePair(const BarePair&) = delete;
  BarePair& operator=(const BarePair&) = delete;

  Measurement measure(std::size_t size, std::size_t frames, std::size_t window) {
    if (path_mtu_ != 0) return measure_as_weft(size, frames, window);
    std::array<osdep::UdpSocket::SendItem, kBatch> items;
    return drive(rx_, seq_, size, frames, window, [&](std::span<const ByteSpan> batch) {
      if (gso_) {
        std::span<const ByteSpan> rest = batch;
        while (!rest.empty()) {
          const auto n = a_->send_burst(b_->local(), rest).value_or(0);
          if (n == 0) ++send_dropped_;
          rest = rest.subspan(std::max<std::size_t>(n, 1));
        }
        return;
      }
      for (std::size_t i = 0; i < batch.size(); ++i) items[i] = {batch[i], b_->local()};
      // As osdep::Outbox: a datagram the kernel refuses is dropped, and the rest go on.
      std::span<const osdep::UdpSocket::SendItem> rest(items.data(), batch.size());
      while (!rest.empty()) {
        const auto n = a_->send_batch(rest).value_or(0);
        if (n == 0) ++send_dropped_;
        rest = rest.subspan(std::max<std::size_t>(n, 1));
      }
    });
  }
  [[nodiscard]] std::uint64_t send_dropped() const { return send_dropped_; }

 private:
  Measurement measure_as_weft(std::size_t size, std::size_t frames, std::size_t window) {
    const auto pieces = datagrams(size, path_mtu_);
    const std::size_t per = pieces.size();
    // Datagram d of the run carries sequence number d and the pattern after
    // it, in buffer d % 256 (filled once, like FrameSource's frames).
    std::vector<Bytes> buffers(256, Bytes(*std::max_element(pieces.begin(), pieces.end())));
    for (std::size_t i = 0; i < buffers.size(); ++i)
      std::memcpy(buffers[i].data() + kSeqBytes, pattern().body(i), buffers[i].size() - kSeqBytes);
    std::vector<ByteSpan> spans(kBatch * per);
    osdep::Outbox outbox;
    std::uint64_t frame = seq_;
    return drive(
        rx_, seq_, size, frames, window,
        [&](std::span<const ByteSpan> batch) {
          std::uint64_t d = frame * per;
          for (std::size_t i = 0; i < batch.size() * per; ++i, ++d) {
            Bytes& b = buffers[d % buffers.size()];
            store_seq(b, d);
            spans[i] = ByteSpan(b).first(pieces[d % per]);
          }
          frame += batch.size();
          for (std::size_t i = 0; i < batch.size() * per; ++i) {
            outbox.add(b_->local(), spans[i],
                       i % per == per - 1 ? osdep::Outbox::Order::in_turn
                                          : osdep::Outbox::Order::may_lead);
          }
          send_dropped_ += outbox.flush(*a_).dropped;
        },
        pieces);
  }

  void run() {
    std::array<std::uint64_t, 1> tokens{};
    std::vector<ByteSpan> frames;
    frames.reserve(kBatch * 64);
    while (!stopping_) {
      if (!poller_->wait(tokens)) return;
      for (int k = 0; k < kBatchesPerWakeup; ++k) {
        auto n = b_->recv_batch(slots_);
        if (!n) break;
        frames.clear();
        for (std::size_t i = 0; i < *n; ++i)
          for (std::size_t seg = 0; seg < slots_[i].segments(); ++seg)
            frames.push_back(slots_[i].segment(seg));
        rx_.take(frames);
        if (*n < kBatch) break;
      }
    }
  }

  bool gso_;
  std::size_t path_mtu_;
  std::unique_ptr<osdep::UdpSocket> a_;
  std::unique_ptr<osdep::UdpSocket> b_;
  std::unique_ptr<osdep::Poller> poller_;
  Bytes storage_;
  std::vector<osdep::UdpSocket::RecvSlot> slots_;
  Receiver rx_;
  std::uint64_t seq_{0};
  std::uint64_t send_dropped_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// ---- Weft: a root and two nodes.

class Counter final : public runtime::WireNodeObserver {
 public:
  explicit Counter(Receiver& rx) : rx_(rx) { frames_.reserve(256); }
  void on_frames(std::span<const runtime::PeerFrame> frames) override {
    frames_.clear();
    for (const auto& f : frames) frames_.push_back(f.frame);
    rx_.take(frames_);
  }

 private:
  Receiver& rx_;
  std::vector<ByteSpan> frames_;
};

template <typename Pred>
bool wait_until(Pred pred) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class WeftPair {
 public:
  explicit WeftPair(std::size_t path_mtu) : counter_(rx_) {
    auto root =
        service::RootService::open(crypto::Identity::generate(), osdep::Endpoint::loopback_v4(0));
    if (!root || !(*root)->start()) fail("root: setup failed");
    root_ = std::move(*root);
    runtime::WireNodeConfig config;
    config.node.roots.push_back(
        {root_->public_identity(), {runtime::to_wire(root_->local()).value()}});
    config.node.sessions.path_mtu = path_mtu;
    auto a = runtime::WireNode::open(crypto::Identity::generate(), config);
    auto b = runtime::WireNode::open(crypto::Identity::generate(), config);
    if (!a || !b) fail("nodes: open failed");
    a_ = std::move(*a);
    b_ = std::move(*b);
    if (!a_->start(idle_) || !b_->start(counter_)) fail("nodes: start failed");
    if (!wait_until([&] { return a_->registered(0) && b_->registered(0); }))
      fail("nodes did not register with the root");
    // The first batch waits while A looks B up and they handshake.
    const auto warm = measure(1400, kBatch, kBatch);
    if (warm.counts.received == 0) fail("no frame crossed");
    if (a_->route(b_->address()).kind != node::Route::Kind::direct)
      fail("A reaches B only through the root");
  }
  ~WeftPair() {
    a_->stop();
    b_->stop();
    root_->stop();
  }
  WeftPair(const WeftPair&) = delete;
  WeftPair& operator=(const WeftPair&) = delete;

  Measurement measure(std::size_t size, std::size_t frames, std::size_t window) {
    return drive(rx_, seq_, size, frames, window, [&](std::span<const ByteSpan> batch) {
      if (!a_->send_frames(b_->address(), batch)) fail("send_frames refused");
    });
  }
  [[nodiscard]] runtime::WireNode::Stats sender_stats() const { return a_->stats(); }
  [[nodiscard]] runtime::WireNode::Stats receiver_stats() const { return b_->stats(); }

 private:
  class Idle final : public runtime::WireNodeObserver {
    void on_frames(std::span<const runtime::PeerFrame>) override {}
  };
  Receiver rx_;
  Counter counter_;
  Idle idle_;
  std::unique_ptr<service::RootService> root_;
  std::unique_ptr<runtime::WireNode> a_;
  std::unique_ptr<runtime::WireNode> b_;
  std::uint64_t seq_{0};
};

// The AEAD's bound: frames per second one thread could seal if sealing the
// frame's datagrams (crypto::PacketCipher, as the data path does) were all it
// did. Opening costs about the same, on the other core.
double seal_bound(std::size_t frame, std::size_t path_mtu, int millis) {
  ByteArray<32> raw{};
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::byte>(i + 1);
  auto cipher =
      crypto::PacketCipher::create(crypto::Key32{raw}, crypto::PacketCipher::Direction::seal);
  if (!cipher) fail("PacketCipher::create");
  const auto sizes = plaintexts(frame, path_mtu);
  Bytes in(kMaxFrame + 64, std::byte{0x5a});
  Bytes out(in.size() + crypto::PacketCipher::kTagSize);
  const Bytes ad(16, std::byte{4});
  std::uint64_t counter = 0;
  std::uint64_t frames = 0;
  const auto t0 = Clock::now();
  const auto stop = t0 + std::chrono::milliseconds(millis);
  auto now = t0;
  while (now < stop) {
    for (int i = 0; i < 64; ++i, ++frames)
      for (const std::size_t z : sizes)
        if (!cipher->seal(counter++, ad, ByteSpan(in).first(z),
                          MutableByteSpan(out).first(z + crypto::PacketCipher::kTagSize)))
          fail("seal");
    now = Clock::now();
  }
  return static_cast<double>(frames) / std::chrono::duration<double>(now - t0).count();
}

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) fail("cannot pin");
}

std::string cpu_list() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return "?";
  std::string s;
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &set)) s += (s.empty() ? "" : ",") + std::to_string(i);
  return s;
}

std::vector<int> cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> v;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &set)) v.push_back(i);
  return v;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Comma-separated list.
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    const std::size_t j = std::min(s.find(',', i), s.size());
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::size_t frames = 200'000;
  std::size_t window = 1024;
  bool pin = false;
  std::vector<std::string> case_names{"bare", "gso", "udp1400", "udp1472", "1400", "1472"};
  std::vector<std::size_t> sizes{1400, 1514, 2800};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pin") {
      pin = true;
    } else if (i + 1 < argc && a == "--runs") {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (i + 1 < argc && a == "--frames") {
      frames = std::max<std::size_t>(kBatch, std::strtoull(argv[++i], nullptr, 10));
    } else if (i + 1 < argc && a == "--window") {
      window = std::max<std::size_t>(kBatch, std::strtoull(argv[++i], nullptr, 10));
    } else if (i + 1 < argc && a == "--cases") {
      case_names = split(argv[++i]);
    } else if (i + 1 < argc && a == "--sizes") {
      sizes.clear();
      for (const auto& z : split(argv[++i])) {
        const std::size_t v = std::strtoull(z.c_str(), nullptr, 10);
        if (v < kSeqBytes || v > kMaxFrame) fail("--sizes: 8 to 4096 bytes");
        sizes.push_back(v);
      }
    } else {
      std::fprintf(
          stderr,
          "usage: weft-wire-bench [--runs N] [--frames F] [--window W] [--pin]\n"
          "         [--cases bare,gso,udp1400,udp1472,1400,1472] [--sizes 1400,1514,2800]\n");
      return 2;
    }
  }
  frames = frames / kBatch * kBatch;
  const std::string affinity = cpu_list();
  const auto mask = cpus();
  if (pin && mask.size() < 2) fail("--pin needs two CPUs in the affinity mask");
  // Threads inherit their creator's mask: make them all on the second CPU,
  // then move this (the sending) thread to the first.
  if (pin) pin_to(mask[1]);

  struct Case {
    std::string name;
    std::size_t path_mtu;  // 0: one datagram per frame; else Weft's datagrams at that MTU
    bool weft;
    std::function<Measurement(std::size_t size)> measure;
    std::vector<std::vector<Measurement>> runs;  // [size][run]
    std::vector<std::vector<double>> bound;      // [size][run]: seal_bound, weft cases
  };
  std::vector<std::unique_ptr<BarePair>> bares;
  std::vector<std::unique_ptr<WeftPair>> wefts;
  std::vector<Case> cases;
  for (const auto& n : case_names) {
    if (n == "bare" || n == "gso") {
      bares.push_back(std::make_unique<BarePair>(n == "gso"));
      BarePair* b = bares.back().get();
      cases.push_back({n == "gso" ? "bare UDP, GSO+GRO" : "bare UDP (sendmmsg)",
                       0,
                       false,
                       [b, frames, window](std::size_t z) { return b->measure(z, frames, window); },
                       {},
                       {}});
    } else if (n == "1400" || n == "1472") {
      const std::size_t mtu = std::stoul(n);
      wefts.push_back(std::make_unique<WeftPair>(mtu));
      WeftPair* w = wefts.back().get();
      cases.push_back({"weft, path_mtu " + n,
                       mtu,
                       true,
                       [w, frames, window](std::size_t z) { return w->measure(z, frames, window); },
                       {},
                       {}});
    } else if (n == "udp1400" || n == "udp1472") {
      const std::size_t mtu = std::stoul(n.substr(3));
      bares.push_back(std::make_unique<BarePair>(true, mtu));
      BarePair* b = bares.back().get();
      cases.push_back({"UDP as weft " + n.substr(3),
                       mtu,
                       false,
                       [b, frames, window](std::size_t z) { return b->measure(z, frames, window); },
                       {},
                       {}});
    } else {
      fail("--cases: bare, gso, udp1400, udp1472, 1400, 1472");
    }
  }
  if (pin) pin_to(mask[0]);

  for (auto& c : cases) {
    c.runs.resize(sizes.size());
    c.bound.resize(sizes.size());
  }
  // Runs are the outer loop, so noise from other processes spreads over every case alike.
  for (int run = 0; run < runs; ++run)
    for (std::size_t z = 0; z < sizes.size(); ++z)
      for (auto& c : cases) {
        c.runs[z].push_back(c.measure(sizes[z]));
        if (c.weft) c.bound[z].push_back(seal_bound(sizes[z], c.path_mtu, 200));
      }

  std::printf(
      "# weft-wire-bench: %d runs x %zu frames, batch %zu, window %zu frames; median of the "
      "runs\n# affinity: cpus %s, %s\n"
      "# ratio: to the first case's median at that size; dg/f: UDP datagrams per frame;\n"
      "# fair: a Weft case's median over the 'UDP as weft' case of its path MTU (same datagrams,\n"
      "#   same GSO bursts and GRO, no crypto or protocol), if that case ran;\n"
      "# seal-bound: frames/s one thread could only seal (PacketCipher), and the share of it "
      "reached\n",
      runs, frames, kBatch, window, affinity.c_str(),
      pin ? "sender pinned to the first, receiver to the second" : "threads not pinned");
  std::printf("%5s  %-22s %5s %12s %9s %7s %6s %8s %6s %7s %12s %6s\n", "frame", "case", "dg/f",
              "frames/s", "MB/s", "ratio", "fair", "lost", "reord", "corrupt", "seal-bound",
              "share");
  for (std::size_t z = 0; z < sizes.size(); ++z) {
    std::vector<double> medians;
    for (const Case& c : cases) {
      std::vector<double> fps;
      for (const auto& m : c.runs[z]) fps.push_back(m.fps());
      medians.push_back(median_of(fps));
    }
    const auto fair_reference = [&](const Case& w) {
      for (std::size_t k = 0; k < cases.size(); ++k)
        if (!cases[k].weft && cases[k].path_mtu == w.path_mtu) return medians[k];
      return 0.0;
    };
    for (std::size_t k = 0; k < cases.size(); ++k) {
      const Case& c = cases[k];
      Receiver::Counts total;
      std::uint64_t lost = 0;
      for (const auto& m : c.runs[z]) {
        total.reordered += m.counts.reordered;
        total.corrupt += m.counts.corrupt;
        lost += m.sent - m.counts.received - m.counts.corrupt;
      }
      const double median = medians[k];
      const double fair = c.weft ? fair_reference(c) : 0.0;
      char fair_text[16] = "";
      if (fair > 0) std::snprintf(fair_text, sizeof fair_text, "%.2f", median / fair);
      std::printf("%5zu  %-22s %5zu %12.0f %9.1f %7.2f %6s %8llu %6llu %7llu", sizes[z],
                  c.name.c_str(), c.path_mtu == 0 ? 1 : plaintexts(sizes[z], c.path_mtu).size(),
                  median, median * static_cast<double>(sizes[z]) / 1e6, median / medians[0],
                  fair_text, static_cast<unsigned long long>(lost),
                  static_cast<unsigned long long>(total.reordered),
                  static_cast<unsigned long long>(total.corrupt));
      if (c.weft) {
        const double bound = median_of(c.bound[z]);
        std::printf(" %12.0f %6.2f", bound, median / bound);
      }
      std::printf("\n");
    }
  }
  for (std::size_t i = 0; i < wefts.size(); ++i) {
    const auto s = wefts[i]->sender_stats();
    const auto r = wefts[i]->receiver_stats();
    std::printf(
        "# weft pair %zu: sender: %llu direct, %llu relayed, %llu dropped waiting, %llu queue "
        "dropped, %llu datagrams refused by the kernel; receiver: %llu datagrams "
        "in %llu batches, %llu wakeups, %llu oversized, %llu receive errors, data_rejected %llu, "
        "replayed %llu, fragments_rejected %llu, data_received %llu, dropped %llu\n",
        i, static_cast<unsigned long long>(s.node.direct_sent),
        static_cast<unsigned long long>(s.node.relayed_sent),
        static_cast<unsigned long long>(s.node.frames_dropped_waiting),
        static_cast<unsigned long long>(s.sessions.queue_dropped),
        static_cast<unsigned long long>(s.send_dropped),
        static_cast<unsigned long long>(r.io.datagrams_received),
        static_cast<unsigned long long>(r.io.batches_received),
        static_cast<unsigned long long>(r.io.wakeups),
        static_cast<unsigned long long>(r.io.oversized_dropped),
        static_cast<unsigned long long>(r.io.receive_errors),
        static_cast<unsigned long long>(r.sessions.data_rejected),
        static_cast<unsigned long long>(r.sessions.data_replayed),
        static_cast<unsigned long long>(r.sessions.fragments_rejected),
        static_cast<unsigned long long>(r.sessions.data_received),
        static_cast<unsigned long long>(r.node.datagrams_dropped));
  }
  for (const auto& b : bares)
    std::printf("# bare pair: %llu datagrams refused by the kernel on send\n",
                static_cast<unsigned long long>(b->send_dropped()));
  return 0;
}
