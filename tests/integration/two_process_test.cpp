// Two real processes on loopback: this test process runs one Weft stack (a
// DevNode), weft-devnode runs the other with its services; frames cross between
// them as UDP datagrams (the dev link). Everything goes through the public C API.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <sys/epoll.h>

#include <cstring>
#include <thread>
#include <vector>

#include "integration/child_process.hpp"
#include "runtime/dev_node.hpp"
#include "support/build_kind.hpp"
#include "support/pattern.hpp"
#include "support/sock_addr.hpp"
#include "weft/weft.h"

namespace weft::integration {
namespace {

using test_support::fill_pattern;
using test_support::SockAddr;

stack::IpAddress ip(const char* text) {
  stack::IpAddress a;
  bool v6 = std::strchr(text, ':') != nullptr;
  a.family = v6 ? stack::Family::v6 : stack::Family::v4;
  inet_pton(v6 ? AF_INET6 : AF_INET, text, a.bytes.data());
  return a;
}

// One link: a DevNode here and a weft-devnode process there.
struct Link {
  std::unique_ptr<runtime::DevNode> node;
  std::unique_ptr<ChildProcess> child;

  // faults: both processes damage what they send (5% loss, 2% reorder, 1%
  // duplication, 0.1% corruption), so both directions are hit.
  static std::unique_ptr<Link> make(int subnet, bool faults = false) {
    auto l = std::make_unique<Link>();
    runtime::DevNodeConfig c;
    c.mac = *Mac::parse("02:00:00:00:" + std::to_string(10 + subnet) + ":01");
    c.ipv4 = ip(("10.9." + std::to_string(subnet) + ".1").c_str());
    c.ipv6 = ip(("fd09:" + std::to_string(subnet) + "::1").c_str());
    c.default_route = subnet == 0;
    if (faults) {
      tap::FaultConfig f;
      f.seed = 1234;
      f.loss = 0.05;
      f.reorder = 0.02;
      f.duplicate = 0.01;
      f.corrupt = 0.001;
      c.faults = f;
    }
    auto n = runtime::DevNode::open(c);
    if (!n) return nullptr;
    l->node = std::move(n).value();
    std::vector<std::string> args = {WEFT_DEVNODE_PATH,
                                     "--mac",
                                     "02:00:00:00:" + std::to_string(10 + subnet) + ":02",
                                     "--ipv4",
                                     "10.9." + std::to_string(subnet) + ".2/24",
                                     "--ipv6",
                                     "fd09:" + std::to_string(subnet) + "::2",
                                     "--serve"};
    if (faults) {
      args.emplace_back("--faults");
      args.emplace_back("99");
    }
    l->child = ChildProcess::spawn(args);
    if (!l->child) return nullptr;
    std::string port = l->child->read_line();
    if (port.rfind("port ", 0) != 0) return nullptr;
    l->child->write_line("peer 127.0.0.1:" + std::to_string(l->node->local().port()));
    if (!l->node->start(*osdep::Endpoint::parse("127.0.0.1:" + port.substr(5)))) return nullptr;
    if (l->child->read_line() != "ready") return nullptr;
    return l;
  }
};

Link* g_link = nullptr;

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    link_ = Link::make(0);
    ASSERT_NE(link_, nullptr);
    g_link = link_.get();
  }
  void TearDown() override { link_.reset(); }

 private:
  std::unique_ptr<Link> link_;
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new Environment);

int connect_tcp(const char* host, std::uint16_t port) {
  auto a = SockAddr::make(host, port);
  int fd = weft_socket(a.family(), SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(weft_connect_timeout(fd, a.get(), a.len, 10'000), 0) << std::strerror(weft_errno);
  return fd;
}

void echo_check(const char* host) {
  int fd = connect_tcp(host, 7);
  for (int i = 0; i < 20; ++i) {
    std::string msg =
        "hello " + std::to_string(i) + std::string(static_cast<std::size_t>(i * 97), 'x');
    ASSERT_EQ(weft_send(fd, msg.data(), msg.size(), 0), static_cast<ssize_t>(msg.size()));
    std::string got(msg.size(), '\0');
    ASSERT_EQ(weft_recv(fd, got.data(), got.size(), MSG_WAITALL), static_cast<ssize_t>(msg.size()));
    EXPECT_EQ(got, msg);
  }
  EXPECT_EQ(weft_close(fd), 0);
}

TEST(TwoProcess, TcpEchoIpv4) { echo_check("10.9.0.2"); }
TEST(TwoProcess, TcpEchoIpv6) { echo_check("fd09:0::2"); }

void sha_transfer(const char* host, std::size_t total) {
  int fd = connect_tcp(host, 9);
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  std::vector<std::byte> buf(1 << 20);
  for (std::size_t off = 0; off < total; off += buf.size()) {
    std::size_t n = std::min(buf.size(), total - off);
    fill_pattern(std::span(buf).first(n), off);
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf.data()),
                              n);  // NOLINT
    ASSERT_EQ(weft_send(fd, buf.data(), n, 0), static_cast<ssize_t>(n));
  }
  unsigned char want[32];
  crypto_hash_sha256_final(&st, want);
  // Half-close: the server sees EOF, and we can still read its answer.
  ASSERT_EQ(weft_shutdown(fd, SHUT_WR), 0);
  unsigned char got[40];
  ASSERT_EQ(weft_recv(fd, got, sizeof got, MSG_WAITALL), 40);
  EXPECT_EQ(std::memcmp(got, want, 32), 0) << "SHA-256 of the stream";
  std::uint64_t count = 0;
  for (int i = 0; i < 8; ++i) count = (count << 8U) | got[32 + i];
  EXPECT_EQ(count, total);
  char b;
  EXPECT_EQ(weft_recv(fd, &b, 1, 0), 0) << "then EOF";
  EXPECT_EQ(weft_close(fd), 0);
}

TEST(TwoProcess, Upload64MiBVerifiedBySha256Ipv4) { sha_transfer("10.9.0.2", 64U << 20U); }
TEST(TwoProcess, Upload8MiBVerifiedBySha256Ipv6) { sha_transfer("fd09:0::2", 8U << 20U); }

// 1 GiB only at full speed (support/build_kind.hpp); the 64 MiB upload above
// covers the same path everywhere.
TEST(TwoProcess, Upload1GiBVerifiedBySha256Ipv4) {
  if (!test_support::kFullSpeedBuild) GTEST_SKIP() << "1 GiB only in optimised builds without a sanitizer";
  sha_transfer("10.9.0.2", std::size_t{1} << 30U);
}

// Asks the source service for `total` pattern bytes and checks each against the
// pattern at its offset.
void download_check(const char* host, std::uint64_t total) {
  int fd = connect_tcp(host, 10);
  unsigned char hdr[8];
  for (int i = 0; i < 8; ++i) hdr[i] = static_cast<unsigned char>(total >> (56 - 8 * i));
  ASSERT_EQ(weft_send(fd, hdr, 8, 0), 8);
  std::vector<std::byte> buf(100'000), want(100'000);
  std::uint64_t off = 0;
  for (;;) {
    ssize_t r = weft_recv(fd, buf.data(), buf.size(), 0);
    ASSERT_GE(r, 0) << std::strerror(weft_errno);
    if (r == 0) break;
    fill_pattern(std::span(want).first(static_cast<std::size_t>(r)), off);
    ASSERT_EQ(std::memcmp(buf.data(), want.data(), static_cast<std::size_t>(r)), 0) << "at " << off;
    off += static_cast<std::uint64_t>(r);
  }
  EXPECT_EQ(off, total);
  weft_close(fd);
}

TEST(TwoProcess, Download32MiBByteExact) { download_check("10.9.0.2", 32U << 20U); }

void udp_check(const char* host) {
  auto a = SockAddr::make(host, 7);
  int fd = weft_socket(a.family(), SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  timeval tv{5, 0};
  ASSERT_EQ(weft_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  // Resolve the peer's MAC first: lwIP queues at most ARP_QUEUE_LEN (10) frames
  // while ARP is pending and drops the oldest beyond that (the 8000-byte datagram
  // alone is 6 fragments).
  char warm[4] = {'w', 'a', 'r', 'm'};
  ASSERT_EQ(weft_sendto(fd, warm, 4, 0, a.get(), a.len), 4);
  ASSERT_EQ(weft_recv(fd, warm, 4, 0), 4) << std::strerror(weft_errno);
  const std::size_t sizes[] = {1, 100, 1200, 0, 1400, 8000};
  for (std::size_t s : sizes) {
    std::vector<std::byte> d(s);
    fill_pattern(d, s * 1000);
    ASSERT_EQ(weft_sendto(fd, d.data(), d.size(), 0, a.get(), a.len), static_cast<ssize_t>(s));
  }
  // Loopback UDP does not lose datagrams without pressure; each comes back whole.
  for (std::size_t s : sizes) {
    std::vector<std::byte> got(20000), d(s);
    fill_pattern(d, s * 1000);
    SockAddr from;
    ssize_t r = weft_recvfrom(fd, got.data(), got.size(), 0, from.get(), &from.len);
    ASSERT_EQ(r, static_cast<ssize_t>(s)) << std::strerror(weft_errno);
    EXPECT_TRUE(equal_bytes(ByteSpan(got).first(s), d));
    EXPECT_EQ(from.len, a.len);
    EXPECT_EQ(from, a) << "reply from the echo's address";
  }
  weft_close(fd);
}

TEST(TwoProcess, UdpEchoKeepsBoundariesIpv4) { udp_check("10.9.0.2"); }
TEST(TwoProcess, UdpEchoKeepsBoundariesIpv6) { udp_check("fd09:0::2"); }

TEST(TwoProcess, ConnectToClosedPortIsRefused) {
  auto a = SockAddr::make("10.9.0.2", 4444);
  int fd = weft_socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(weft_connect(fd, a.get(), a.len), -1);
  EXPECT_EQ(weft_errno, ECONNREFUSED);
  weft_close(fd);
}

TEST(TwoProcess, FdModeSocketFromAPlainEpollLoop) {
  int fd = connect_tcp("10.9.0.2", 8);  // the server side runs in fd mode too
  int k = weft_export_fd(fd);
  ASSERT_GE(k, 0);
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.fd = k;
  ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, k, &ev), 0);
  std::vector<std::byte> data(4U << 20U);
  fill_pattern(data, 77);
  std::size_t sent = 0, got = 0;
  std::vector<std::byte> buf(65536);
  bool shut = false;
  while (true) {
    epoll_event out[2];
    int n = epoll_wait(ep, out, 2, 20'000);
    ASSERT_GT(n, 0) << "stalled at sent=" << sent << " got=" << got;
    if ((out[0].events & EPOLLOUT) != 0 && sent < data.size()) {
      ssize_t w = ::write(k, data.data() + sent, std::min<std::size_t>(65536, data.size() - sent));
      if (w > 0) sent += static_cast<std::size_t>(w);
      if (sent == data.size() && !shut) {
        ::shutdown(k, SHUT_WR);
        shut = true;
        ev.events = EPOLLIN;
        epoll_ctl(ep, EPOLL_CTL_MOD, k, &ev);
      }
    }
    if ((out[0].events & (EPOLLIN | EPOLLHUP)) != 0) {
      ssize_t r = ::read(k, buf.data(), buf.size());
      ASSERT_GE(r, 0);
      if (r == 0) break;
      ASSERT_EQ(std::memcmp(buf.data(), data.data() + got, static_cast<std::size_t>(r)), 0)
          << "at " << got;
      got += static_cast<std::size_t>(r);
    }
  }
  EXPECT_EQ(got, data.size());
  ::close(ep);
  ::close(k);
}

// A request and its answer cross as two datagrams, not four: each side's
// blocked reader receives for the link itself, so its answer carries the ACK
// of what it read (the next request, that of the answer) instead of a pure ACK
// leaving first. Counted on this side's link: one datagram per exchange, not
// two. Some slack: an answer that lands before the reader blocked is received
// by the link's thread, and acknowledged at once as before.
TEST(TwoProcess, ShortExchangesCarryTheirAcknowledgements) {
  int fd = connect_tcp("10.9.0.2", 12);  // echo, a blocking thread per connection, TCP_NODELAY
  int one = 1;
  ASSERT_EQ(weft_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
  auto exchange = [fd](int i) {
    const char out = static_cast<char>('a' + i % 26);
    char in = 0;
    ASSERT_EQ(weft_send(fd, &out, 1, 0), 1);
    ASSERT_EQ(weft_recv(fd, &in, 1, 0), 1);
    EXPECT_EQ(in, out);
  };
  for (int i = 0; i < 20; ++i) exchange(i);
  constexpr std::uint64_t kExchanges = 400;
  const std::uint64_t before = g_link->node->link().stats().frames_sent;
  for (std::uint64_t i = 0; i < kExchanges; ++i) exchange(static_cast<int>(i));
  const std::uint64_t sent = g_link->node->link().stats().frames_sent - before;
  EXPECT_GE(sent, kExchanges);
  EXPECT_LT(sent, kExchanges * 7 / 4) << sent << " datagrams: pure ACKs besides the requests";
  EXPECT_EQ(weft_close(fd), 0);
}

TEST(TwoProcess, ThousandConcurrentConnectionsEachExchangeData) {
  constexpr int kConns = 1000;
  auto a = SockAddr::make("10.9.0.2", 7);
  std::vector<int> fds;
  for (int i = 0; i < kConns; ++i) {
    int fd = weft_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(weft_connect(fd, a.get(), a.len), -1);
    ASSERT_EQ(weft_errno, EINPROGRESS);
    fds.push_back(fd);
  }
  // Each connection sends its index once connected and expects it echoed back.
  std::vector<int> state(kConns, 0);  // 0 connecting, 1 sent, 2 done
  int done = 0;
  while (done < kConns) {
    std::vector<pollfd> p;
    std::vector<int> idx;
    for (int i = 0; i < kConns; ++i) {
      if (state[i] == 2) continue;
      p.push_back({fds[i], static_cast<short>(state[i] == 0 ? POLLOUT : POLLIN), 0});
      idx.push_back(i);
    }
    int n = weft_poll(p.data(), p.size(), 30'000);
    ASSERT_GT(n, 0) << "stalled with " << done << " done";
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (p[j].revents == 0) continue;
      int i = idx[j];
      ASSERT_EQ(p[j].revents & (POLLERR | POLLNVAL), 0) << "connection " << i;
      std::string msg = "conn-" + std::to_string(i) + ";";
      if (state[i] == 0) {
        int err = -1;
        socklen_t el = sizeof err;
        ASSERT_EQ(weft_getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &el), 0);
        ASSERT_EQ(err, 0);
        ASSERT_EQ(weft_send(fds[i], msg.data(), msg.size(), 0), static_cast<ssize_t>(msg.size()));
        state[i] = 1;
      } else {
        char buf[64];
        ssize_t r = weft_recv(fds[i], buf, sizeof buf, 0);
        if (r < 0 && weft_errno == EAGAIN) continue;
        ASSERT_EQ(r, static_cast<ssize_t>(msg.size()));
        EXPECT_EQ(std::string(buf, static_cast<std::size_t>(r)), msg);
        state[i] = 2;
        ++done;
      }
    }
  }
  for (int fd : fds) EXPECT_EQ(weft_close(fd), 0);
}

TEST(TwoProcess, PeerKilledMidTransferGivesAnErrorNotAHang) {
  auto link = Link::make(1);
  ASSERT_NE(link, nullptr);
  int fd = connect_tcp("10.9.1.2", 10);
  timeval tv{1, 0};
  ASSERT_EQ(weft_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  int one = 1, idle = 1, cnt = 2;
  ASSERT_EQ(weft_setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one), 0);
  ASSERT_EQ(weft_setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle), 0);
  ASSERT_EQ(weft_setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof idle), 0);
  ASSERT_EQ(weft_setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt), 0);
  const std::uint64_t total = 1ULL << 40U;  // far more than will ever arrive
  unsigned char hdr[8];
  for (int i = 0; i < 8; ++i) hdr[i] = static_cast<unsigned char>(total >> (56 - 8 * i));
  ASSERT_EQ(weft_send(fd, hdr, 8, 0), 8);
  std::vector<char> buf(65536);
  std::size_t got = 0;
  while (got < (1U << 20U)) {
    ssize_t r = weft_recv(fd, buf.data(), buf.size(), 0);
    ASSERT_GT(r, 0);
    got += static_cast<std::size_t>(r);
  }
  link->child->kill();
  // Drain what was in flight; then every recv returns within its 1 s timeout
  // (EAGAIN) until keepalive declares the peer dead. It must never hang.
  int timeouts = 0;
  for (;;) {
    ssize_t r = weft_recv(fd, buf.data(), buf.size(), 0);
    if (r > 0) continue;
    ASSERT_LT(r, 0) << "a killed peer sends no FIN";
    if (weft_errno == EAGAIN) {
      ASSERT_LT(++timeouts, 30) << "keepalive should have ended it";
      continue;
    }
    EXPECT_TRUE(weft_errno == ECONNABORTED || weft_errno == ECONNRESET || weft_errno == ETIMEDOUT)
        << std::strerror(weft_errno);
    break;
  }
  weft_close(fd);
}

TEST(TwoProcess, EveryByteArrivesThroughTheFaultInjector) {
  auto link = Link::make(2, true);
  ASSERT_NE(link, nullptr);
  echo_check("10.9.2.2");
  // Small transfers: at 5% loss both ways lwIP (no SACK, one fast retransmit per
  // window, 500 ms timer ticks) recovers mostly by timeout, at tens of KB/s.
  sha_transfer("10.9.2.2", 512U << 10U);    // upload, verified by SHA-256
  sha_transfer("fd09:2::2", 128U << 10U);   // and over IPv6
  download_check("10.9.2.2", 512U << 10U);  // download, checked byte by byte
  auto st = link->node->fault_stats();
  ASSERT_TRUE(st.has_value());
  EXPECT_GT(st->lost, 0U);
  EXPECT_GT(st->reordered, 0U);
  EXPECT_GT(st->duplicated, 0U);
  EXPECT_GT(st->corrupted, 0U) << "the injector really damaged frames";
}

}  // namespace
}  // namespace weft::integration
