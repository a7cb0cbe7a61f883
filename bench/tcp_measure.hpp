#pragma once

// TCP measurements shared by the benchmarks: the same code over Weft's C API or
// the kernel's sockets (Api), so each Weft figure has its kernel reference
// measured the same way in the same run.

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "weft/weft.h"

namespace weft::bench {

using Clock = std::chrono::steady_clock;

// Either API behind the same calls, so both sides run the same code.
struct Api {
  bool weft;
  int socket(int d, int t) const { return weft ? weft_socket(d, t, 0) : ::socket(d, t, 0); }
  int connect(int fd, const sockaddr* a, socklen_t l) const { return weft ? weft_connect(fd, a, l) : ::connect(fd, a, l); }
  ssize_t send(int fd, const void* b, std::size_t n) const {
    return weft ? weft_send(fd, b, n, 0) : ::send(fd, b, n, MSG_NOSIGNAL);
  }
  ssize_t recv(int fd, void* b, std::size_t n, int flags = 0) const {
    return weft ? weft_recv(fd, b, n, flags) : ::recv(fd, b, n, flags);
  }
  int shutdown(int fd) const { return weft ? weft_shutdown(fd, SHUT_WR) : ::shutdown(fd, SHUT_WR); }
  int close(int fd) const { return weft ? weft_close(fd) : ::close(fd); }
  int bind(int fd, const sockaddr* a, socklen_t l) const { return weft ? weft_bind(fd, a, l) : ::bind(fd, a, l); }
  int listen(int fd) const { return weft ? weft_listen(fd, 128) : ::listen(fd, 128); }
  int accept(int fd) const { return weft ? weft_accept(fd, nullptr, nullptr) : ::accept(fd, nullptr, nullptr); }
  int local_port(int fd) const {
    sockaddr_in got{};
    socklen_t len = sizeof got;
    auto* a = reinterpret_cast<sockaddr*>(&got);  // NOLINT
    if ((weft ? weft_getsockname(fd, a, &len) : ::getsockname(fd, a, &len)) != 0) return -1;
    return ntohs(got.sin_port);
  }
  int nodelay(int fd) const {
    int one = 1;
    return weft ? weft_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)
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
  return fd;
}

inline double throughput_mb_s(const Api& api, const sockaddr_in& to, std::uint64_t bytes) {
  int fd = connect_to(api, to);
  std::vector<char> buf(256 * 1024, 'w');
  auto t0 = Clock::now();
  for (std::uint64_t off = 0; off < bytes;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes - off));
    ssize_t w = api.send(fd, buf.data(), n);
    if (w <= 0) std::exit(1);
    off += static_cast<std::uint64_t>(w);
  }
  api.shutdown(fd);
  unsigned char count[8];
  if (api.recv(fd, count, 8, MSG_WAITALL) != 8) std::exit(1);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  api.close(fd);
  std::uint64_t got = 0;
  for (unsigned char c : count) got = (got << 8U) | c;
  if (got != bytes) {
    std::fprintf(stderr, "peer counted %llu of %llu bytes\n", static_cast<unsigned long long>(got),
                 static_cast<unsigned long long>(bytes));
    std::exit(1);
  }
  return static_cast<double>(bytes) / s / 1e6;
}

struct Rtt {
  double p50_us, p99_us;
};

inline Rtt rtt(const Api& api, const sockaddr_in& to, int count) {
  int fd = connect_to(api, to);
  api.nodelay(fd);
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(count));
  char b = 'x';
  for (int i = 0; i < count + 100; ++i) {
    auto t0 = Clock::now();
    if (api.send(fd, &b, 1) != 1 || api.recv(fd, &b, 1) != 1) std::exit(1);
    if (i >= 100) us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  api.close(fd);
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
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
      const int c = api.accept(l);
      if (c < 0) return;
      std::thread([api, c, discard] {
        std::vector<char> buf(256 * 1024);
        std::uint64_t total = 0;
        api.nodelay(c);
        for (;;) {
          const ssize_t r = api.recv(c, buf.data(), buf.size());
          if (r <= 0) break;
          total += static_cast<std::uint64_t>(r);
          if (!discard && api.send(c, buf.data(), static_cast<std::size_t>(r)) != r) break;
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

}  // namespace weft::bench
