// Throughput of a DevLink pair on loopback, beside references: the same
// datagrams with plain sendmmsg/recvmmsg and no tap, dev link or Poller; and,
// for the offloaded path, osdep::UdpSocket with GSO and GRO alone.
//
// usage: dev_link_bench [FRAMES [FRAME_SIZE]]     (defaults 1000000, 1514)
//
// One sender (the main thread) sends batches of 64 frames; the receiver thread
// counts them. The sender keeps at most kWindow frames in flight, because a UDP
// receiver drops what it cannot queue and a benchmark that loses frames
// measures nothing; lost frames, if any, are reported.

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "osdep/udp_socket.hpp"
#include "tap/dev_link.hpp"

namespace {

using weft::Bytes;
using weft::ByteSpan;
using weft::osdep::Endpoint;
using weft::osdep::UdpSocket;

constexpr std::size_t kBatch = 64;
constexpr std::size_t kWindow = 1024;
// As DevLink's receive loop: full batches read per wakeup.
constexpr int kBatchesPerWakeup = 16;

// Received-frame counter the sender can wait on.
class Progress {
 public:
  void add(std::size_t n) {
    {
      std::lock_guard lock(m_);
      count_ += n;
    }
    cv_.notify_all();
  }
  // False if nothing arrived for a second: frames were lost.
  bool wait_for(std::size_t n) {
    std::unique_lock lock(m_);
    while (count_ < n) {
      const std::size_t before = count_;
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return count_ >= n; });
      if (count_ == before) return false;
    }
    return true;
  }
  std::size_t count() {
    std::lock_guard lock(m_);
    return count_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::size_t count_{0};
};

struct Result {
  const char* name;
  std::size_t frames;
  std::size_t received;
  double seconds;
  std::size_t frame_size;
  std::uint64_t send_calls;
  std::uint64_t recv_batches;
};

void print(const Result& r) {
  const double fps = static_cast<double>(r.received) / r.seconds;
  std::printf(
      "%-36s %9.0f frames/s %8.1f MB/s  lost %zu  sends %llu  recv batches %llu (%.1f/batch)\n",
      r.name, fps, fps * static_cast<double>(r.frame_size) / 1e6, r.frames - r.received,
      static_cast<unsigned long long>(r.send_calls),
      static_cast<unsigned long long>(r.recv_batches),
      r.recv_batches ? static_cast<double>(r.received) / static_cast<double>(r.recv_batches) : 0.0);
}

std::vector<Bytes> make_batch(std::size_t size) {
  std::vector<Bytes> frames(kBatch, Bytes(size));
  for (std::size_t i = 0; i < kBatch; ++i) {
    for (std::size_t k = 0; k < size; ++k) frames[i][k] = static_cast<std::byte>(i + k);
  }
  return frames;
}

template <typename Send>
std::size_t drive(std::size_t frames, Progress& progress, Send send) {
  std::size_t sent = 0;
  while (sent < frames) {
    if (sent + kBatch > kWindow && !progress.wait_for(sent + kBatch - kWindow)) break;
    send();
    sent += kBatch;
  }
  progress.wait_for(sent);
  return sent;
}

class Counter final : public weft::tap::FrameSink {
 public:
  explicit Counter(Progress& p) : p_(p) {}
  void send_frames(std::span<const ByteSpan> frames) override { p_.add(frames.size()); }

 private:
  Progress& p_;
};

Result bench_dev_link(std::size_t frames, std::size_t size, bool gso, bool gro) {
  UdpSocket::Options opt;
  opt.gso = gso;
  opt.gro = gro;
  auto a = weft::tap::DevLink::open(Endpoint::loopback_v4(), opt);
  auto b = weft::tap::DevLink::open(Endpoint::loopback_v4(), opt);
  if (!a || !b) std::abort();
  weft::tap::Tap ta(weft::Mac{}, size - weft::tap::Tap::kEthernetHeader);
  weft::tap::Tap tb(weft::Mac{}, size - weft::tap::Tap::kEthernetHeader);
  Progress progress;
  Counter counter(progress);
  ta.attach_network(a->get());
  tb.attach_stack(&counter);
  if (!(*a)->start((*b)->local(), ta) || !(*b)->start((*a)->local(), tb)) std::abort();
  const auto batch = make_batch(size);
  const std::vector<ByteSpan> spans(batch.begin(), batch.end());
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t sent = drive(frames, progress, [&] { ta.transmit(spans); });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  (*a)->stop();
  (*b)->stop();
  const char* name = !gso  ? "dev link (sendmmsg/recvmmsg)"
                     : gro ? "dev link (GSO send, GRO receive)"
                           : "dev link (GSO send)";
  return {name,
          sent,
          progress.count(),
          secs,
          size,
          (*a)->socket_stats().send_calls,
          (*b)->stats().batches_received};
}

// The reference: raw system calls, no weft code on the path.
Result bench_raw(std::size_t frames, std::size_t size) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4());
  auto b = UdpSocket::bind(Endpoint::loopback_v4());
  if (!a || !b) std::abort();
  Progress progress;
  const int stop = ::eventfd(0, EFD_CLOEXEC);
  std::uint64_t recv_batches = 0;
  std::thread receiver([&] {
    std::vector<Bytes> bufs(kBatch, Bytes(size));
    std::vector<mmsghdr> msgs(kBatch);
    std::vector<iovec> iov(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i].data(), bufs[i].size()};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    pollfd p[2] = {{b->fd(), POLLIN, 0}, {stop, POLLIN, 0}};
    while (true) {
      if (::poll(p, 2, -1) <= 0) continue;
      if (p[1].revents != 0) return;
      // Drain like the dev link does (up to kBatchesPerWakeup full batches).
      for (int k = 0; k < kBatchesPerWakeup; ++k) {
        const int n = ::recvmmsg(b->fd(), msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) break;
        ++recv_batches;
        progress.add(static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < kBatch) break;
      }
    }
  });
  const auto batch = make_batch(size);
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iov(kBatch);
  sockaddr_storage to{};
  const socklen_t to_len = b->local().to_sockaddr(to);
  for (std::size_t i = 0; i < kBatch; ++i) {
    iov[i] = {const_cast<std::byte*>(batch[i].data()), batch[i].size()};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = to_len;
  }
  std::uint64_t calls = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t sent = drive(frames, progress, [&] {
    std::size_t off = 0;
    while (off < kBatch) {
      ++calls;
      const int n = ::sendmmsg(a->fd(), msgs.data() + off, static_cast<unsigned>(kBatch - off), 0);
      if (n > 0) off += static_cast<std::size_t>(n);
    }
  });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t one = 1;
  if (::write(stop, &one, sizeof one) != sizeof one) std::abort();
  receiver.join();
  ::close(stop);
  return {
      "reference (raw sendmmsg/recvmmsg)", sent, progress.count(), secs, size, calls, recv_batches};
}

// The fast path's reference: osdep::UdpSocket with GSO and GRO, no tap, no
// DevLink, no Poller; separates what the kernel offloads gain from what the
// dev link costs.
Result bench_socket_gso_gro(std::size_t frames, std::size_t size) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4(), {.gso = true, .gro = false});
  auto b = UdpSocket::bind(Endpoint::loopback_v4(), {.gso = false, .gro = true});
  if (!a || !b) std::abort();
  Progress progress;
  const int stop = ::eventfd(0, EFD_CLOEXEC);
  std::uint64_t recv_batches = 0;
  std::thread receiver([&] {
    std::vector<Bytes> bufs(kBatch, Bytes(UdpSocket::kMaxGroBytes));
    std::vector<UdpSocket::RecvSlot> slots(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i) slots[i].buffer = bufs[i];
    pollfd p[2] = {{b->fd(), POLLIN, 0}, {stop, POLLIN, 0}};
    while (true) {
      if (::poll(p, 2, -1) <= 0) continue;
      if (p[1].revents != 0) return;
      for (int k = 0; k < kBatchesPerWakeup; ++k) {
        auto n = b->recv_batch(slots);
        if (!n) break;
        ++recv_batches;
        std::size_t count = 0;
        for (std::size_t i = 0; i < *n; ++i) count += slots[i].segments();
        progress.add(count);
        if (*n < kBatch) break;
      }
    }
  });
  const auto batch = make_batch(size);
  const std::vector<ByteSpan> spans(batch.begin(), batch.end());
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t sent = drive(frames, progress, [&] { (void)a->send_burst(b->local(), spans); });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t one = 1;
  if (::write(stop, &one, sizeof one) != sizeof one) std::abort();
  receiver.join();
  ::close(stop);
  return {"reference (UdpSocket GSO+GRO)", sent,        progress.count(), secs, size,
          a->stats().send_calls,           recv_batches};
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t frames = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const std::size_t size = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1514;
  if (size < 14 || size > 65'000 || frames < kBatch) {
    std::fprintf(stderr, "usage: dev_link_bench [FRAMES>=64 [FRAME_SIZE 14..65000]]\n");
    return 2;
  }
  std::printf("%zu frames of %zu bytes, batches of %zu, window %zu, one process, loopback IPv4\n",
              frames, size, kBatch, kWindow);
  // Twice each, interleaved, so drift in machine load shows as spread.
  for (int round = 0; round < 2; ++round) {
    print(bench_raw(frames, size));
    print(bench_dev_link(frames, size, false, false));
    print(bench_dev_link(frames, size, true, false));
    print(bench_socket_gso_gro(frames, size));
    print(bench_dev_link(frames, size, true, true));
  }
  return 0;
}
