#pragma once

// TCP measurements shared by the benchmarks: the same code over Weft's C API or
// the kernel's sockets (Api), so each Weft figure has its kernel reference
// measured the same way in the same run.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "weft/weft.h"

namespace weft::bench {

using Clock = std::chrono::steady_clock;

// Either API behind the same calls, so both sides run the same code. fd_mode
// (with weft): connections are made with weft_connect/weft_accept, then
// turned into kernel fds (weft_export_fd) and used with the kernel's calls, as
// an application's poll/epoll loop would.
struct Api {
  bool weft;
  bool fd_mode{false};
  // The data calls go to Weft's table (not to an exported kernel fd).
  [[nodiscard]] bool weft_data() const { return weft && !fd_mode; }
  // A connected descriptor as the data calls take it.
  int adopt(int fd) const { return weft && fd_mode && fd >= 0 ? weft_export_fd(fd) : fd; }
  int socket(int d, int t) const { return weft ? weft_socket(d, t, 0) : ::socket(d, t, 0); }
  int connect(int fd, const sockaddr* a, socklen_t l) const { return weft ? weft_connect(fd, a, l) : ::connect(fd, a, l); }
  ssize_t send(int fd, const void* b, std::size_t n) const {
    return weft_data() ? weft_send(fd, b, n, 0) : ::send(fd, b, n, MSG_NOSIGNAL);
  }
  ssize_t recv(int fd, void* b, std::size_t n, int flags = 0) const {
    return weft_data() ? weft_recv(fd, b, n, flags) : ::recv(fd, b, n, flags);
  }
  int shutdown(int fd) const { return weft_data() ? weft_shutdown(fd, SHUT_WR) : ::shutdown(fd, SHUT_WR); }
  int close(int fd) const { return weft_data() ? weft_close(fd) : ::close(fd); }
  int bind(int fd, const sockaddr* a, socklen_t l) const { return weft ? weft_bind(fd, a, l) : ::bind(fd, a, l); }
  int listen(int fd) const { return weft ? weft_listen(fd, 128) : ::listen(fd, 128); }
  int accept(int fd) const { return weft ? weft_accept(fd, nullptr, nullptr) : ::accept(fd, nullptr, nullptr); }
  int accept_nonblocking(int fd) const {
    return weft ? weft_accept4(fd, nullptr, nullptr, SOCK_NONBLOCK)
                : ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK);
  }
  int set_nonblocking(int fd) const {
    return weft ? weft_set_nonblocking(fd, 1) : ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  int poll(pollfd* fds, nfds_t n) const { return weft ? weft_poll(fds, n, -1) : ::poll(fds, n, -1); }
  int last_error() const { return weft ? weft_errno : errno; }
  int local_port(int fd) const {
    sockaddr_in got{};
    socklen_t len = sizeof got;
    auto* a = reinterpret_cast<sockaddr*>(&got);  // NOLINT
    if ((weft ? weft_getsockname(fd, a, &len) : ::getsockname(fd, a, &len)) != 0) return -1;
    return ntohs(got.sin_port);
  }
  int nodelay(int fd) const {
    int one = 1;
    return weft_data() ? weft_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)
                : ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
};

inline sockaddr_in v4(const char* ip, std::uint16_t port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  inet_pton(AF_INET, ip, &in.sin_addr);
  return in;
}
inline const sockaddr* sa(const sockaddr_in& in) { return reinterpret_cast<const sockaddr*>(&in); }  // NOLINT

inline int connect_to(const Api& api, const sockaddr_in& to) {
  int fd = api.socket(AF_INET, SOCK_STREAM);
  if (fd < 0 || api.connect(fd, sa(to), sizeof to) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return api.adopt(fd);
}

inline void finish_counted(const Api& api, int fd, std::uint64_t bytes);

// Sends `bytes` on a connected fd to a discard server (serve below) and waits
// for its count; exits the process if the count is wrong.
inline void send_counted(const Api& api, int fd, std::uint64_t bytes) {
  std::vector<char> buf(256 * 1024, 'w');
  for (std::uint64_t off = 0; off < bytes;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes - off));
    ssize_t w = api.send(fd, buf.data(), n);
    if (w <= 0) std::exit(1);
    off += static_cast<std::uint64_t>(w);
  }
  finish_counted(api, fd, bytes);
}

// Ends a counted transfer of `bytes`: shuts the sending side and checks the
// discard server's count; exits the process if it is wrong.
inline void finish_counted(const Api& api, int fd, std::uint64_t bytes) {
  api.shutdown(fd);
  unsigned char count[8];
  if (api.recv(fd, count, 8, MSG_WAITALL) != 8) std::exit(1);
  std::uint64_t got = 0;
  for (unsigned char c : count) got = (got << 8U) | c;
  if (got != bytes) {
    std::fprintf(stderr, "peer counted %llu of %llu bytes\n", static_cast<unsigned long long>(got),
                 static_cast<unsigned long long>(bytes));
    std::exit(1);
  }
}

// MB/s of `bytes` on one connection, from the connected socket to the count.
inline double throughput_mb_s(const Api& api, const sockaddr_in& to, std::uint64_t bytes) {
  int fd = connect_to(api, to);
  auto t0 = Clock::now();
  send_counted(api, fd, bytes);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  api.close(fd);
  return static_cast<double>(bytes) / s / 1e6;
}

struct Timed {
  double mb_s;
  std::uint64_t bytes;
};

// MB/s of one connection sending for about `seconds`, to the server's count:
// for links where a fixed size could take minutes (heavy loss). The last
// send may overrun the deadline; the time counted is the real one.
inline Timed throughput_for(const Api& api, const sockaddr_in& to, double seconds) {
  int fd = connect_to(api, to);
  std::vector<char> buf(64 * 1024, 'w');
  const auto t0 = Clock::now();
  const auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::uint64_t sent = 0;
  while (Clock::now() < end) {
    const ssize_t w = api.send(fd, buf.data(), buf.size());
    if (w <= 0) std::exit(1);
    sent += static_cast<std::uint64_t>(w);
  }
  finish_counted(api, fd, sent);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  api.close(fd);
  return {static_cast<double>(sent) / s / 1e6, sent};
}

// Total MB/s of `streams` connections sending `bytes` each at once, from the
// moment all are connected to the last count.
inline double throughput_streams_mb_s(const Api& api, const sockaddr_in& to, std::uint64_t bytes,
                                      int streams) {
  std::vector<int> fds;
  for (int i = 0; i < streams; ++i) fds.push_back(connect_to(api, to));
  auto t0 = Clock::now();
  {
    std::vector<std::jthread> senders;
    for (int fd : fds) senders.emplace_back([&api, fd, bytes] { send_counted(api, fd, bytes); });
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  for (int fd : fds) api.close(fd);
  return static_cast<double>(bytes) * streams / s / 1e6;
}

struct Rtt {
  double p50_us, p99_us, mean_us;
  // CPU time both ends spent per round trip, when measured (0 otherwise):
  // unlike the latencies, the same however the scheduler placed the threads.
  double cpu_us{0};
};

// Of round-trip samples in µs (sorts them).
inline Rtt summarize(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double u : us) sum += u;
  return {us[us.size() / 2], us[us.size() * 99 / 100], sum / static_cast<double>(us.size())};
}

// `cpu_us_now`, if given, reads the CPU time (µs) both ends have used so far;
// read around the round trips, before the connection closes (a server thread
// per connection takes its time with it when it exits).
inline Rtt rtt(const Api& api, const sockaddr_in& to, int count,
               const std::function<double()>& cpu_us_now = {}) {
  int fd = connect_to(api, to);
  api.nodelay(fd);
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(count));
  char b = 'x';
  const double cpu_before = cpu_us_now ? cpu_us_now() : 0;
  for (int i = 0; i < count + 100; ++i) {
    auto t0 = Clock::now();
    if (api.send(fd, &b, 1) != 1 || api.recv(fd, &b, 1) != 1) std::exit(1);
    if (i >= 100) us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  const double cpu_after = cpu_us_now ? cpu_us_now() : 0;
  api.close(fd);
  Rtt r = summarize(us);
  r.cpu_us = (cpu_after - cpu_before) / (count + 100);
  return r;
}

// Opens `count` connections to an echo server, one round trip each so each
// is established at both ends, and leaves them open: the caller closes them.
inline std::vector<int> open_idle(const Api& api, const sockaddr_in& to, int count) {
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    const int fd = api.socket(AF_INET, SOCK_STREAM);
    if (fd < 0) break;
    if (api.connect(fd, sa(to), sizeof to) != 0) {
      api.weft ? weft_close(fd) : ::close(fd);
      break;
    }
    const int c = api.adopt(fd);
    char b = 'i';
    fds.push_back(c);
    if (api.send(c, &b, 1) != 1 || api.recv(c, &b, 1) != 1) break;
  }
  return fds;
}

inline double connection_rate(const Api& api, const sockaddr_in& to, int count) {
  auto t0 = Clock::now();
  for (int i = 0; i < count; ++i) {
    int fd = connect_to(api, to);
    char b = 'c';
    if (api.send(fd, &b, 1) != 1 || api.recv(fd, &b, 1) != 1) std::exit(1);
    api.close(fd);
  }
  return count / std::chrono::duration<double>(Clock::now() - t0).count();
}

// Serves on `at` (port 0: any) until the process ends: discard (reads to the
// end, then answers the byte count as 8 bytes big-endian) or echo. Returns the port.
inline int serve(const Api& api, const sockaddr_in& at, bool discard) {
  const int l = api.socket(AF_INET, SOCK_STREAM);
  int one = 1;
  if (!api.weft) ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (l < 0 || api.bind(l, sa(at), sizeof at) != 0 || api.listen(l) != 0) return -1;
  std::thread([api, l, discard] {
    for (;;) {
      const int c = api.adopt(api.accept(l));
      if (c < 0) return;
      std::thread([api, c, discard] {
        // Not zeroed: pages a connection never fills stay out of the RSS,
        // so idle connections cost what the stack keeps for them.
        constexpr std::size_t kBuf = 256 * 1024;
        const auto buf = std::make_unique_for_overwrite<char[]>(kBuf);
        std::uint64_t total = 0;
        api.nodelay(c);
        for (;;) {
          const ssize_t r = api.recv(c, buf.get(), kBuf);
          if (r <= 0) break;
          total += static_cast<std::uint64_t>(r);
          if (!discard && api.send(c, buf.get(), static_cast<std::size_t>(r)) != r) break;
        }
        if (discard) {
          unsigned char out[8];
          for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(total >> (56 - 8 * i));
          api.send(c, out, 8);
        }
        api.close(c);
      }).detach();
    }
  }).detach();
  return api.local_port(l);
}

// Serves echo on `at` (port 0: any) from one thread polling every connection,
// as an event-driven server would, until the process ends. Returns the port.
// Unlike `serve`, no thread starts per connection: a connection rate measured
// against it is the stack's, not the scheduler's start-up of new threads.
inline int serve_polled(const Api& api, const sockaddr_in& at) {
  const int l = api.socket(AF_INET, SOCK_STREAM);
  int one = 1;
  if (!api.weft) ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (l < 0 || api.bind(l, sa(at), sizeof at) != 0 || api.listen(l) != 0 || api.set_nonblocking(l) != 0)
    return -1;
  std::thread([api, l] {
    std::map<int, std::vector<char>> unsent;  // per connection, what its peer has not taken yet
    std::vector<char> buf(64 * 1024);
    std::vector<pollfd> fds;
    for (;;) {
      fds.assign(1, {l, POLLIN, 0});
      for (const auto& [fd, pending] : unsent)
        fds.push_back({fd, static_cast<short>(pending.empty() ? POLLIN : POLLOUT), 0});
      if (api.poll(fds.data(), fds.size()) < 0) return;
      for (const pollfd& p : fds) {
        if (p.revents == 0) continue;
        if (p.fd == l) {
          for (int c; (c = api.accept_nonblocking(l)) >= 0;) unsent[c];
          continue;
        }
        std::vector<char>& pending = unsent[p.fd];
        bool open = true;
        if (pending.empty()) {
          const ssize_t r = api.recv(p.fd, buf.data(), buf.size());
          if (r > 0) pending.assign(buf.begin(), buf.begin() + r);
          else open = r < 0 && api.last_error() == EAGAIN;
        }
        if (open && !pending.empty()) {
          const ssize_t w = api.send(p.fd, pending.data(), pending.size());
          if (w > 0) pending.erase(pending.begin(), pending.begin() + w);
          else open = w < 0 && api.last_error() == EAGAIN;
        }
        if (!open) {
          api.close(p.fd);
          unsent.erase(p.fd);
        }
      }
    }
  }).detach();
  return api.local_port(l);
}

}  // namespace weft::bench
