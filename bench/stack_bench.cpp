// weft-stack-bench: the lwIP data path between two processes over the dev link
// (no encryption), each figure beside the same measurement over the kernel's
// loopback in the same run.
//
//   weft-stack-bench [--bytes N] [--rtt-count N] [--connections N]
//
// Weft side: this process runs a DevNode (10.9.0.1), weft-devnode the peer
// (10.9.0.2, services on TCP 11 discard, TCP 12 echo with a thread per
// connection, TCP 7 echo from one polling thread). Kernel side: threads of this
// process serve the same on 127.0.0.1.
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "integration/child_process.hpp"
#include "process_stats.hpp"
#include "runtime/dev_node.hpp"
#include "socket/pumping_waker.hpp"
#include "tcp_measure.hpp"
#include "weft/weft.h"

namespace {

using namespace weft::bench;

double fd_mode_throughput_mb_s(const sockaddr_in& to, std::uint64_t bytes) {
  int fd = connect_to(Api{true}, to);
  int k = weft_export_fd(fd);
  std::vector<char> buf(256 * 1024, 'f');
  auto t0 = Clock::now();
  for (std::uint64_t off = 0; off < bytes;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes - off));
    ssize_t w = ::write(k, buf.data(), n);
    if (w <= 0) std::exit(1);
    off += static_cast<std::uint64_t>(w);
  }
  ::shutdown(k, SHUT_WR);
  unsigned char count[8];
  if (::recv(k, count, 8, MSG_WAITALL) != 8) std::exit(1);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  ::close(k);
  return static_cast<double>(bytes) / s / 1e6;
}

// Heap bytes per idle connected socket on the client side (this process): the
// lwIP pcb, the Weft socket and its descriptor entry. malloc's in-use counter,
// before and after `count` connections exchanged one byte and went idle.
double heap_per_connection(const Api& api, const sockaddr_in& to, int count) {
  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(count));
  const auto before = mallinfo2().uordblks;
  for (int i = 0; i < count; ++i) {
    int fd = connect_to(api, to);
    char b = 'i';
    if (api.send(fd, &b, 1) != 1 || api.recv(fd, &b, 1) != 1) std::exit(1);
    fds.push_back(fd);
  }
  const auto after = mallinfo2().uordblks;
  for (int fd : fds) api.close(fd);
  return static_cast<double>(after - before) / count;
}

double thread_cpu_us() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// Between two threads of this process, or (across_processes) this process and
// a child, as Weft's dev link runs between two processes: switching to another
// process costs more than to another thread (0.5 µs of 4.9 on one core here).
Rtt udp_pingpong(int count, bool across_processes) {
  int a = ::socket(AF_INET, SOCK_DGRAM, 0), b = ::socket(AF_INET, SOCK_DGRAM, 0);
  auto any = v4("127.0.0.1", 0);
  ::bind(a, sa(any), sizeof any);
  ::bind(b, sa(any), sizeof any);
  sockaddr_in aa{}, ba{};
  socklen_t l = sizeof aa;
  ::getsockname(a, reinterpret_cast<sockaddr*>(&aa), &l);  // NOLINT
  l = sizeof ba;
  ::getsockname(b, reinterpret_cast<sockaddr*>(&ba), &l);  // NOLINT
  ::connect(a, sa(ba), sizeof ba);
  ::connect(b, sa(aa), sizeof aa);
  auto echo_all = [&] {
    char c;
    for (int i = 0; i < count + 100; ++i) {
      if (::recv(b, &c, 1, 0) != 1) return;
      ::send(b, &c, 1, 0);
    }
  };
  std::thread echo;
  pid_t child = -1;
  if (across_processes) {
    // The child only makes system calls (no allocation, no locks), so the
    // threads this process has do not matter to it.
    child = ::fork();
    if (child == 0) {
      echo_all();
      std::_Exit(0);
    }
    if (child < 0) std::exit(1);
  } else {
    echo = std::thread(echo_all);
  }
  std::vector<double> us;
  char c = 'u';
  const double cpu_before = thread_cpu_us();
  for (int i = 0; i < count + 100; ++i) {
    auto t0 = Clock::now();
    ::send(a, &c, 1, 0);
    ::recv(a, &c, 1, 0);
    if (i >= 100)
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  const double cpu_mine = thread_cpu_us() - cpu_before;
  if (echo.joinable()) echo.join();
  rusage child_usage{};
  if (child > 0) ::wait4(child, nullptr, 0, &child_usage);
  ::close(a);
  ::close(b);
  Rtt r = summarize(us);
  if (child > 0) {
    // The child did nothing but echo (its start and exit are noise here).
    const auto usec = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
    };
    r.cpu_us = (cpu_mine + usec(child_usage.ru_utime) + usec(child_usage.ru_stime)) / (count + 100);
  }
  return r;
}

// Two threads waking each other through socket::PumpingWaker, the waker a
// blocked Weft call sleeps on (here without receiving for the link): the cost of
// the hand-off from the thread that received a frame to the application thread,
// which Weft pays once per direction on top of the link's own wake-up (the UDP
// ping-pong's) unless the application thread received the frame itself.
Rtt waker_pingpong(int count) {
  using weft::socket::PumpingWaker;
  // A waker belongs to the thread that waits on it (its eventfd is that thread's).
  std::promise<PumpingWaker*> echo_waker;
  PumpingWaker to_main(nullptr, nullptr);
  std::thread echo([&] {
    PumpingWaker to_echo(nullptr, nullptr);
    echo_waker.set_value(&to_echo);
    for (int i = 0; i < count + 100; ++i) {
      to_echo.wait_until(std::nullopt);
      to_main.wake();
    }
  });
  PumpingWaker* to_echo = echo_waker.get_future().get();
  std::vector<double> us;
  for (int i = 0; i < count + 100; ++i) {
    auto t0 = Clock::now();
    to_echo->wake();
    to_main.wait_until(std::nullopt);
    if (i >= 100)
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  echo.join();
  return summarize(us);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t bytes = 1ULL << 30U;
  int rtt_count = 10000;
  int conns = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--bytes")
      bytes = std::stoull(argv[i + 1]);
    else if (a == "--rtt-count")
      rtt_count = std::stoi(argv[i + 1]);
    else if (a == "--connections")
      conns = std::stoi(argv[i + 1]);
  }
  weft::runtime::DevNodeConfig c;
  c.mac = *weft::Mac::parse("02:00:00:00:0a:01");
  weft::stack::IpAddress ip4;
  inet_pton(AF_INET, "10.9.0.1", ip4.bytes.data());
  c.ipv4 = ip4;
  auto node = weft::runtime::DevNode::open(c);
  if (!node) return 1;
  auto child = weft::integration::ChildProcess::spawn(
      {WEFT_DEVNODE_PATH, "--mac", "02:00:00:00:0a:02", "--ipv4", "10.9.0.2/24", "--serve"});
  std::string port = child->read_line();
  child->write_line("peer 127.0.0.1:" + std::to_string((*node)->local().port()));
  if (!(*node)->start(*weft::osdep::Endpoint::parse("127.0.0.1:" + port.substr(5)))) return 1;
  if (child->read_line() != "ready") return 1;

  const auto w_discard = v4("10.9.0.2", 11), w_echo = v4("10.9.0.2", 12), w_polled = v4("10.9.0.2", 7);
  Api weft{true}, kernel{false};
  const auto k_discard =
      v4("127.0.0.1", static_cast<std::uint16_t>(serve(kernel, v4("127.0.0.1", 0), true)));
  const auto k_echo =
      v4("127.0.0.1", static_cast<std::uint16_t>(serve(kernel, v4("127.0.0.1", 0), false)));
  const auto k_polled = v4("127.0.0.1", static_cast<std::uint16_t>(serve_polled(kernel, v4("127.0.0.1", 0))));

  (void)throughput_mb_s(weft, w_discard, 64U << 20U);  // warm up (ARP, allocator)
  double wt = throughput_mb_s(weft, w_discard, bytes);
  double kt = throughput_mb_s(kernel, k_discard, bytes);
  double ft = fd_mode_throughput_mb_s(w_discard, bytes);
  const pid_t peer = child->pid();
  Rtt wr = rtt(weft, w_echo, rtt_count,
               [peer] { return 1e6 * (cpu_seconds(::getpid()) + cpu_seconds(peer)); });
  Rtt kr = rtt(kernel, k_echo, rtt_count);
  Rtt ur = udp_pingpong(rtt_count, true);
  Rtt tr = udp_pingpong(rtt_count, false);
  Rtt cr = waker_pingpong(rtt_count);
  double wc = connection_rate(weft, w_echo, conns);
  double kc = connection_rate(kernel, k_echo, conns);
  double wp = connection_rate(weft, w_polled, conns);
  double kp = connection_rate(kernel, k_polled, conns);
  double wm = heap_per_connection(weft, w_echo, 500);

  std::printf("weft-stack-bench: %llu bytes one stream, %d round trips, %d connections\n",
              static_cast<unsigned long long>(bytes), rtt_count, conns);
  std::printf("%-34s %12s %12s %8s\n", "measure", "weft", "kernel", "ratio");
  std::printf("%-34s %12.1f %12.1f %8.2f\n", "throughput MB/s (direct API)", wt, kt, wt / kt);
  std::printf("%-34s %12.1f %12.1f %8.2f\n", "throughput MB/s (fd mode)", ft, kt, ft / kt);
  std::printf("%-34s %12.1f %12.1f %8.2f\n", "1-byte RTT p50 us (vs kernel TCP)", wr.p50_us,
              kr.p50_us, wr.p50_us / kr.p50_us);
  std::printf("%-34s %12.1f %12.1f %8.2f\n", "1-byte RTT p99 us (vs kernel TCP)", wr.p99_us,
              kr.p99_us, wr.p99_us / kr.p99_us);
  std::printf("%-34s %12.1f %12.1f %8.2f\n", "1-byte RTT p50 us (vs UDP ping)", wr.p50_us,
              ur.p50_us, wr.p50_us / ur.p50_us);
  std::printf("%-34s %12s %12.1f\n", "  (UDP ping in one process p50 us)", "", tr.p50_us);
  // Both processes, all their threads: what a round trip costs in CPU, which
  // the scheduler's placement (one vCPU or two) changes far less than latency.
  std::printf("%-34s %12.1f %12.1f %8.2f\n", "  CPU us per round trip (vs UDP)", wr.cpu_us,
              ur.cpu_us, wr.cpu_us / ur.cpu_us);
  std::printf("%-34s %12.1f %12.1f %8.2f\n", "  UDP ping + waker ping p50 us", wr.p50_us,
              ur.p50_us + cr.p50_us, wr.p50_us / (ur.p50_us + cr.p50_us));
  std::printf("%-34s %12s %12.1f\n", "  (waker ping-pong p50 us)", "", cr.p50_us);
  // Two servers: the thread each connection starts is part of the first
  // figure (on two vCPUs the new thread often starts on the halted one).
  std::printf("%-34s %12.0f %12.0f %8.2f\n", "connections/s (connect+1B+close)", wc, kc, wc / kc);
  std::printf("%-34s %12.0f %12.0f %8.2f\n", "  one polling server thread", wp, kp, wp / kp);
  // A connection over any datagram link takes two round trips before it is
  // used (handshake, then the byte and its echo); the kernel's loopback
  // handshake runs inside connect(), with no wake-up of the server.
  const double floor = 1e6 / (2 * ur.mean_us);
  std::printf("%-34s %12.0f %12.0f %8.2f\n", "  polling vs 2 UDP round trips", wp, floor, wp / floor);
  std::printf("%-34s %12.0f %12s\n", "heap bytes per idle connection", wm, "n/a");
  std::fflush(stdout);
  std::_Exit(0);
}
