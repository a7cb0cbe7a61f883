// weft-devnode: a Weft stack on a dev link (UNENCRYPTED, loopback tests and
// benchmarks) running a set of test services through the public C API.
//
//   weft-devnode --mac M [--ipv4 A/P] [--ipv6 A] [--bind 127.0.0.1:0] [--serve]
//                [--faults SEED]   (outbound: 5% loss, 2% reorder, 1% dup, 0.1% corrupt)
//
// Protocol on stdin/stdout, so a parent can wire two processes together:
//   prints "port <n>"      the dev link's local UDP port
//   reads  "peer <ep>"     the other process's dev link endpoint
//   prints "ready"         stack up, services listening
// and runs until stdin reaches EOF (then exits 0).
//
// Services (IPv4 and IPv6 unless noted):
//   TCP 7   echo (one thread, weft_poll, non-blocking descriptors)
//   TCP 8   echo through fd mode: accepted sockets exported, served by epoll (v4)
//   TCP 9   SHA-256 sink: reads to EOF, replies 32-byte digest + 8-byte count (BE)
//   TCP 10  source: reads an 8-byte big-endian count N, sends N pattern bytes
//   TCP 11  discard: reads to EOF, replies the 8-byte count (BE) (v4)
//   TCP 12  echo, one blocking thread per connection, TCP_NODELAY (v4; latency)
//   UDP 7   echo
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/dev_node.hpp"
#include "support/pattern.hpp"
#include "support/sock_addr.hpp"
#include "weft/weft.h"

namespace {

using weft::test_support::fill_pattern;
using weft::test_support::SockAddr;

int listen_on(int family, int type, std::uint16_t port, int backlog = 1024) {
  int fd = weft_socket(family, type, 0);
  if (fd < 0) return -1;
  int one = 1;
  weft_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // Each service listens on both families with a socket each, so the IPv6 one
  // must be IPv6-only (dual-stack, it would hold the IPv4 port too), as on Linux.
  if (family == AF_INET6) weft_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  auto addr = SockAddr::make(family == AF_INET ? "0.0.0.0" : "::", port);
  if (weft_bind(fd, addr.get(), addr.len) != 0) return -1;
  if (type == SOCK_STREAM && weft_listen(fd, backlog) != 0) return -1;
  return fd;
}

bool send_all(int fd, const void* p, std::size_t n) {
  return weft_send(fd, p, n, 0) == static_cast<ssize_t>(n);
}

// TCP 7: non-blocking echo over weft_poll.
void echo_poll_server(std::vector<int> listeners) {
  struct Conn {
    std::vector<char> pending;
  };
  std::map<int, Conn> conns;
  std::vector<char> buf(65536);
  for (int l : listeners) weft_set_nonblocking(l, 1);
  for (;;) {
    std::vector<pollfd> fds;
    for (int l : listeners) fds.push_back({l, POLLIN, 0});
    for (auto& [fd, c] : conns)
      fds.push_back({fd, static_cast<short>(c.pending.empty() ? POLLIN : POLLOUT), 0});
    if (weft_poll(fds.data(), fds.size(), -1) < 0) return;
    for (auto& p : fds) {
      if (p.revents == 0) continue;
      bool listener = std::find(listeners.begin(), listeners.end(), p.fd) != listeners.end();
      if (listener) {
        for (;;) {
          int c = weft_accept4(p.fd, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          conns[c];
        }
        continue;
      }
      Conn& c = conns[p.fd];
      bool drop = false;
      if (!c.pending.empty()) {
        ssize_t w = weft_send(p.fd, c.pending.data(), c.pending.size(), 0);
        if (w > 0)
          c.pending.erase(c.pending.begin(), c.pending.begin() + w);
        else if (weft_errno != EAGAIN)
          drop = true;
      } else {
        ssize_t r = weft_recv(p.fd, buf.data(), buf.size(), 0);
        if (r > 0) {
          ssize_t w = weft_send(p.fd, buf.data(), static_cast<std::size_t>(r), 0);
          if (w < 0 && weft_errno != EAGAIN) drop = true;
          std::size_t done = w < 0 ? 0 : static_cast<std::size_t>(w);
          c.pending.assign(buf.begin() + static_cast<std::ptrdiff_t>(done), buf.begin() + r);
        } else if (r == 0 || weft_errno != EAGAIN) {
          drop = true;
        }
      }
      if (drop) {
        weft_close(p.fd);
        conns.erase(p.fd);
      }
    }
  }
}

// TCP 8: accepted sockets become kernel fds served by a plain epoll loop.
void echo_fd_mode_server(int listener) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  std::thread acceptor([&] {
    for (;;) {
      int c = weft_accept(listener, nullptr, nullptr);
      if (c < 0) return;
      int k = weft_export_fd(c);
      if (k < 0) continue;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = k;
      epoll_ctl(ep, EPOLL_CTL_ADD, k, &ev);
    }
  });
  std::vector<char> buf(65536);
  for (;;) {
    epoll_event evs[64];
    int n = epoll_wait(ep, evs, 64, -1);
    for (int i = 0; i < n; ++i) {
      int k = evs[i].data.fd;
      ssize_t r = ::read(k, buf.data(), buf.size());
      // Blocking write: back-pressure from a slow peer stalls this echo, which
      // is what an echo should do.
      if (r <= 0 || ::write(k, buf.data(), static_cast<std::size_t>(r)) != r) {
        epoll_ctl(ep, EPOLL_CTL_DEL, k, nullptr);
        ::close(k);
      }
    }
  }
}

void sha_sink_connection(int c) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  std::vector<unsigned char> buf(65536);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t r = weft_recv(c, buf.data(), buf.size(), 0);
    if (r < 0) {
      weft_close(c);
      return;
    }
    if (r == 0) break;
    crypto_hash_sha256_update(&st, buf.data(), static_cast<unsigned long long>(r));
    total += static_cast<std::uint64_t>(r);
  }
  unsigned char out[40];
  crypto_hash_sha256_final(&st, out);
  for (int i = 0; i < 8; ++i) out[32 + i] = static_cast<unsigned char>(total >> (56 - 8 * i));
  send_all(c, out, sizeof out);
  weft_close(c);
}

void source_connection(int c) {
  unsigned char hdr[8];
  if (weft_recv(c, hdr, sizeof hdr, MSG_WAITALL) != 8) {
    weft_close(c);
    return;
  }
  std::uint64_t n = 0;
  for (unsigned char b : hdr) n = (n << 8U) | b;
  std::vector<std::byte> buf(256 * 1024);
  std::uint64_t off = 0;
  while (off < n) {
    std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), n - off));
    fill_pattern(std::span(buf).first(chunk), off);
    if (!send_all(c, buf.data(), chunk)) break;
    off += chunk;
  }
  weft_close(c);
}

void discard_connection(int c) {
  std::vector<char> buf(256 * 1024);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t r = weft_recv(c, buf.data(), buf.size(), 0);
    if (r <= 0) break;
    total += static_cast<std::uint64_t>(r);
  }
  unsigned char out[8];
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(total >> (56 - 8 * i));
  send_all(c, out, sizeof out);
  weft_close(c);
}

void blocking_echo_connection(int c) {
  int one = 1;
  weft_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::vector<char> buf(65536);
  for (;;) {
    ssize_t r = weft_recv(c, buf.data(), buf.size(), 0);
    if (r <= 0 || !send_all(c, buf.data(), static_cast<std::size_t>(r))) break;
  }
  weft_close(c);
}

void thread_per_connection(int listener, void (*serve)(int)) {
  for (;;) {
    int c = weft_accept(listener, nullptr, nullptr);
    if (c < 0) return;
    std::thread(serve, c).detach();
  }
}

void udp_echo(int fd) {
  std::vector<char> buf(65536);
  for (;;) {
    SockAddr from;
    ssize_t r = weft_recvfrom(fd, buf.data(), buf.size(), 0, from.get(), &from.len);
    if (r < 0) return;
    weft_sendto(fd, buf.data(), static_cast<std::size_t>(r), 0, from.get(), from.len);
  }
}

std::optional<weft::stack::IpAddress> parse_ip(const std::string& s, int family, int* prefix) {
  std::string addr = s;
  if (prefix != nullptr) {
    auto slash = s.find('/');
    if (slash != std::string::npos) {
      *prefix = std::stoi(s.substr(slash + 1));
      addr = s.substr(0, slash);
    }
  }
  weft::stack::IpAddress a;
  a.family = family == AF_INET ? weft::stack::Family::v4 : weft::stack::Family::v6;
  if (inet_pton(family, addr.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}

int usage() {
  std::cerr << "usage: weft-devnode --mac M [--ipv4 A/P] [--ipv6 A] [--bind EP] [--serve]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  weft::runtime::DevNodeConfig cfg;
  bool serve = false;
  bool have_mac = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--mac") {
      auto m = weft::Mac::parse(next());
      if (!m) return usage();
      cfg.mac = *m;
      have_mac = true;
    } else if (a == "--ipv4") {
      auto ip = parse_ip(next(), AF_INET, &cfg.ipv4_prefix);
      if (!ip) return usage();
      cfg.ipv4 = ip;
    } else if (a == "--ipv6") {
      auto ip = parse_ip(next(), AF_INET6, nullptr);
      if (!ip) return usage();
      cfg.ipv6 = ip;
    } else if (a == "--bind") {
      auto ep = weft::osdep::Endpoint::parse(next());
      if (!ep) return usage();
      cfg.bind = *ep;
    } else if (a == "--faults") {
      weft::tap::FaultConfig f;
      f.seed = std::stoull(next());
      f.loss = 0.05;
      f.reorder = 0.02;
      f.duplicate = 0.01;
      f.corrupt = 0.001;
      cfg.faults = f;
    } else if (a == "--serve") {
      serve = true;
    } else {
      return usage();
    }
  }
  if (!have_mac) return usage();
  auto node = weft::runtime::DevNode::open(cfg);
  if (!node) {
    std::cerr << "open: " << weft::message(node.error()) << "\n";
    return 1;
  }
  std::cout << "port " << (*node)->local().port() << std::endl;
  std::string word, peer;
  if (!(std::cin >> word >> peer) || word != "peer") return usage();
  auto ep = weft::osdep::Endpoint::parse(peer);
  if (!ep) return usage();
  if (auto r = (*node)->start(*ep); !r) {
    std::cerr << "start: " << weft::message(r.error()) << "\n";
    return 1;
  }
  if (serve) {
    std::vector<int> echo;
    for (int fam : {AF_INET, AF_INET6}) {
      echo.push_back(listen_on(fam, SOCK_STREAM, 7));
      std::thread(thread_per_connection, listen_on(fam, SOCK_STREAM, 9), sha_sink_connection)
          .detach();
      std::thread(thread_per_connection, listen_on(fam, SOCK_STREAM, 10), source_connection)
          .detach();
      std::thread(udp_echo, listen_on(fam, SOCK_DGRAM, 7)).detach();
    }
    std::thread(echo_poll_server, echo).detach();
    std::thread(echo_fd_mode_server, listen_on(AF_INET, SOCK_STREAM, 8)).detach();
    std::thread(thread_per_connection, listen_on(AF_INET, SOCK_STREAM, 11), discard_connection)
        .detach();
    std::thread(thread_per_connection, listen_on(AF_INET, SOCK_STREAM, 12),
                blocking_echo_connection)
        .detach();
  }
  std::cout << "ready" << std::endl;
  while (std::cin >> word) {
  }
  // Parent gone: exit without unwinding the service threads.
  std::_Exit(0);
}
