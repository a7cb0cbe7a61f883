// Conformance against the Linux kernel as the peer ACROSS THE OVERLAY: this
// process's sockets are Weft's (its own node, weft_node_*, lwIP), the peer is
// conformance_peer on kernel sockets bound to the addresses of a kernel TAP
// member (weftd, `weft join NET --tap`), and every segment crosses a real
// network: lwIP -> this node (encrypted UDP on loopback) -> weftd -> TAP ->
// the kernel's TCP, and back. The cases are the behaviours where the two TCPs
// must agree with each other (resets, half-close, a window that fills up and
// is probed while closed, keepalive); what differs from the Weft peer of the
// dev-link suite is docs/conformance.md, "The kernel as the peer".
//
// One world for the whole program (CTest runs it as ONE test: a world costs
// seconds), in a network namespace of its own (integration/kernel_world.hpp).
// Where no namespace or TAP device can be made, every case is skipped.
//
// The segments themselves are watched on the TAP device with a packet socket
// (the test process shares the kernel member's namespace), so zero-window and
// keepalive probes are seen, not inferred.

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "conformance/fixture.hpp"
#include "conformance/peer_protocol.hpp"
#include "integration/kernel_world.hpp"
#include "weft/weft.h"

namespace weft::conformance {
namespace {

using namespace std::chrono_literals;
using integration::KernelWorld;

// --- The world: a lab with a kernel TAP member, and this process's node. ---

std::string text_of(const sockaddr_storage& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a)->sin_addr, buf, sizeof buf);
  else
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr, buf, sizeof buf);
  return buf;
}

class OverlayEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string why_not = integration::enter_kernel_world();
    if (!why_not.empty()) GTEST_SKIP() << why_not;
    world_ = std::make_unique<KernelWorld>(/*with_user=*/false);
    ASSERT_TRUE(world_->ready()) << "the lab did not come up";
    const std::string root = world_->lab().root_line();
    const char* roots[] = {root.c_str()};
    weft_node_config c{};
    c.version = WEFT_NODE_CONFIG_VERSION;
    c.roots = roots;
    c.root_count = 1;
    c.bind = "127.0.0.1:0";
    node_ = weft_node_create(&c);
    ASSERT_NE(node_, nullptr) << weft_last_error();
    ASSERT_EQ(weft_node_start(node_), 0) << weft_last_error();
    char address[16];
    std::snprintf(address, sizeof address, "%010llx",
                  static_cast<unsigned long long>(weft_node_address(node_)));
    ASSERT_TRUE(world_->authorize(address));
    const std::uint64_t net = std::stoull(world_->net(), nullptr, 16);
    ASSERT_EQ(weft_node_join(node_, net), 0) << weft_last_error();
    sockaddr_storage v4{};
    sockaddr_storage v6{};
    ASSERT_EQ(weft_node_wait_address(node_, net, AF_INET, &v4, 20'000), 0) << weft_last_error();
    ASSERT_EQ(weft_node_wait_address(node_, net, AF_INET6, &v6, 20'000), 0) << weft_last_error();
    set_overlay_addresses(text_of(v4), world_->kernel().ip4, text_of(v6), world_->kernel().ip6);
    ready_ = true;
  }
  void TearDown() override {
    // Stopped, never freed: lwIP cannot be shut down (main.cpp ends with _Exit).
    if (node_ != nullptr) weft_node_stop(node_);
    world_.reset();
  }
  [[nodiscard]] static bool ready() { return ready_; }

 private:
  std::unique_ptr<KernelWorld> world_;
  weft_node* node_{nullptr};
  static inline bool ready_ = false;
};

[[maybe_unused]] auto* const g_overlay_environment =
    ::testing::AddGlobalTestEnvironment(new OverlayEnvironment);

// --- Watching TCP segments on the TAP device. ---

// One TCP segment seen on the device, by direction.
struct Segment {
  bool from_kernel;  // the kernel sent it (toward the overlay)
  std::uint16_t sport;
  std::uint16_t dport;
  std::uint32_t seq;
  std::uint32_t ack;
  std::uint8_t flags;
  std::uint16_t window;  // as on the wire (unscaled)
  std::size_t payload;
};

// A packet socket on the kernel member's device: every frame the kernel sends
// there (PACKET_OUTGOING) and every frame weftd writes into it.
class TapWatch {
 public:
  TapWatch() {
    fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
    if (fd_ < 0) return;
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_ALL);
    ll.sll_ifindex = static_cast<int>(::if_nametoindex(KernelWorld::kDevice));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&ll), sizeof ll) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~TapWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  TapWatch(const TapWatch&) = delete;
  TapWatch& operator=(const TapWatch&) = delete;
  [[nodiscard]] bool ok() const { return fd_ >= 0; }

  // The TCP segments between ports a and b that arrive within `ms`.
  std::vector<Segment> segments(std::uint16_t a, std::uint16_t b, int ms) {
    std::vector<Segment> out;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      std::uint8_t frame[65536];
      sockaddr_ll from{};
      socklen_t len = sizeof from;
      const ssize_t n =
          ::recvfrom(fd_, frame, sizeof frame, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) continue;
      auto s = parse(frame, static_cast<std::size_t>(n), from.sll_pkttype == PACKET_OUTGOING);
      if (s && ((s->sport == a && s->dport == b) || (s->sport == b && s->dport == a)))
        out.push_back(*s);
    }
    return out;
  }

 private:
  // IPv4 or IPv6 (no extension headers) carrying TCP; bounds-checked.
  static std::optional<Segment> parse(const std::uint8_t* f, std::size_t n, bool from_kernel) {
    if (n < 14) return std::nullopt;
    const unsigned type = f[12] << 8 | f[13];
    std::size_t off = 14;
    std::size_t ip_end = 0;
    if (type == ETH_P_IP) {
      if (n < off + 20 || (f[off] >> 4) != 4 || f[off + 9] != IPPROTO_TCP) return std::nullopt;
      ip_end = off + (f[off + 2] << 8 | f[off + 3]);
      off += static_cast<std::size_t>(f[off] & 0x0f) * 4;
    } else if (type == ETH_P_IPV6) {
      if (n < off + 40 || f[off + 6] != IPPROTO_TCP) return std::nullopt;
      ip_end = off + 40 + (f[off + 4] << 8 | f[off + 5]);
      off += 40;
    } else {
      return std::nullopt;
    }
    if (ip_end > n || off + 20 > ip_end) return std::nullopt;
    const std::uint8_t* t = f + off;
    const std::size_t header = static_cast<std::size_t>(t[12] >> 4) * 4;
    if (header < 20 || off + header > ip_end) return std::nullopt;
    auto u32 = [](const std::uint8_t* p) {
      return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
             static_cast<std::uint32_t>(p[2]) << 8 | p[3];
    };
    return Segment{from_kernel,
                   static_cast<std::uint16_t>(t[0] << 8 | t[1]),
                   static_cast<std::uint16_t>(t[2] << 8 | t[3]),
                   u32(t + 4),
                   u32(t + 8),
                   t[13],
                   static_cast<std::uint16_t>(t[14] << 8 | t[15]),
                   ip_end - off - header};
  }

  int fd_{-1};
};

constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kRst = 0x04;
constexpr std::uint8_t kFin = 0x01;

// --- The cases. ---

class KernelPeer : public Conformance {
 protected:
  void SetUp() override {
    if (!OverlayEnvironment::ready()) GTEST_SKIP() << "no kernel TAP world here";
    Conformance::SetUp();
  }
  std::uint16_t port_of(int fd) { return name_of(fd).port(); }
};

// A SYN to a kernel port nobody listens on: the kernel's RST refuses it.
TEST_P(KernelPeer, ConnectToAClosedKernelPortIsRefused) {
  int fd = open(SOCK_STREAM);
  auto to = service("refuse");
  EXPECT_FAILS_WITH(api().connect(fd, to.get(), to.len), ECONNREFUSED);
  EXPECT_EQ(so_error(fd), 0);
}

// The kernel's SYN to a closed Weft port: lwIP's RST refuses it (the peer's
// connect fails with ECONNREFUSED, 111).
TEST_P(KernelPeer, TheKernelConnectingToAClosedWeftPortIsRefused) {
  int fd = open(SOCK_STREAM);
  auto here = local_any_port();
  ASSERT_EQ(api().bind(fd, here.get(), here.len), 0) << err();
  const std::uint16_t port = port_of(fd);
  close_fd(fd);
  EXPECT_EQ(peer().command("connect " + std::string(api().local(family())) + " " +
                           std::to_string(port) + " 0 0"),
            "error 111");
}

// The kernel resets a connection (the abort service: SO_LINGER {1, 0} close
// after reading one byte, so the reset comes on cue, not while connecting):
// recv ECONNRESET, then EOF; send EPIPE.
TEST_P(KernelPeer, ResetByTheKernelIsEconnresetThenEofAndSendIsEpipe) {
  const int fd = connection_reset_by_peer();
  ASSERT_GE(fd, 0);
  expect_reset_then_eof_and_epipe(fd);
}

// Weft resets (SO_LINGER {1, 0} close): the kernel's recv fails with
// ECONNRESET (the echo service reports "e104").
TEST_P(KernelPeer, ResetByWeftIsEconnresetInTheKernel) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  const std::uint16_t me = port_of(fd);
  ASSERT_EQ(api().send(fd, "x", 1, 0), 1) << err();
  char c = 0;
  ASSERT_EQ(api().recv(fd, &c, 1, 0), 1) << err();
  linger l{1, 0};
  ASSERT_EQ(api().setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0) << err();
  close_fd(fd);
  EXPECT_EQ(peer().command("end " + std::to_string(me)), "end e104");
}

// Our SHUT_WR reaches the kernel as EOF; it replies on the half-open
// connection (collect sends back what it read, only after EOF), byte-exact.
TEST_P(KernelPeer, ShutdownWriteIsEofInTheKernelWhichStillReplies) {
  int fd = connect_to("collect");
  ASSERT_GE(fd, 0);
  const Bytes data = pattern(100'000, 21);
  ASSERT_TRUE(send_all(fd, data));
  ASSERT_EQ(api().shutdown(fd, SHUT_WR), 0) << err();
  EXPECT_TRUE(recv_until_eof(fd) == data) << "the kernel's reply differs";
  EXPECT_FAILS_WITH(api().send(fd, "x", 1, 0), EPIPE);
}

// The kernel's SHUT_WR: we read all it sent, then EOF, and can still send
// (the kernel reads it to its EOF: count and FNV-1a checked).
TEST_P(KernelPeer, KernelHalfCloseIsEofHereAndWeCanStillSend) {
  int fd = connect_to("halfclose");
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(recv_until_eof(fd) == pattern(kHalfCloseBytes, kHalfCloseSeed));
  const Bytes reply = pattern(70'000, 22);
  ASSERT_TRUE(send_all(fd, reply));
  const std::uint16_t me = port_of(fd);
  ASSERT_EQ(api().shutdown(fd, SHUT_WR), 0) << err();
  std::ostringstream want;
  want << "halfclose " << reply.size() << " " << fnv1a(reply);
  EXPECT_EQ(peer().command("halfclose? " + std::to_string(me)), want.str());
}

// Cases driven by TCP's timers (persist, keepalive): IPv4 only, as the timers
// are the same for both families and each case costs seconds of waiting.
class KernelPeerTimers : public KernelPeer {};

// A kernel reader that stops reading: our sends fill its receive buffer and
// ours, its window closes (seen on the device: a window of 0), lwIP's persist
// timer probes the closed window, and the connection survives it; once the
// kernel reads again everything arrives byte-exact.
TEST_P(KernelPeerTimers, AStalledKernelReaderIsProbedThroughAZeroWindowAndLosesNothing) {
  TapWatch watch;
  ASSERT_TRUE(watch.ok()) << "packet socket: " << std::strerror(errno);
  int fd = connect_to("slow");
  ASSERT_GE(fd, 0);
  const std::uint16_t me = port_of(fd);
  const std::uint16_t kernel_port = peer_of(fd).port();
  const std::size_t total = std::size_t{8} << 20;
  const Bytes data = pattern(total, 23);
  ASSERT_EQ(api().set_nonblocking(fd, 1), 0) << err();
  std::size_t sent = 0;
  // Fill until the send buffer stays full (EAGAIN, and no POLLOUT for 300 ms).
  for (;;) {
    const ssize_t n =
        api().send(fd, data.data() + sent, std::min<std::size_t>(65536, total - sent), 0);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      ASSERT_LT(sent, total) << "the kernel's buffers took everything";
      continue;
    }
    ASSERT_EQ(err(), "EAGAIN");
    if (wait_for(fd, POLLOUT, 300) == 0) break;
  }
  // The kernel advertises a zero window and lwIP probes it (lwIP's persist
  // timer: first probe after 1.5 s, then backing off).
  bool zero_window = false;
  int probes = 0;
  std::size_t probe_bytes = 0;
  for (int round = 0; round < 20 && probes < 1; ++round) {
    for (const Segment& s : watch.segments(me, kernel_port, 500)) {
      if (s.from_kernel && s.window == 0) zero_window = true;
      if (!s.from_kernel && zero_window && (s.flags & (kSyn | kRst | kFin)) == 0 &&
          s.payload <= 1) {
        ++probes;
        probe_bytes = s.payload;
      }
    }
  }
  EXPECT_TRUE(zero_window) << "the kernel never advertised a zero window";
  EXPECT_GE(probes, 1) << "no zero-window probe from lwIP";
  std::printf(
      "kernel reader stalled after %zu bytes; lwIP's zero-window probe carries %zu byte(s)\n", sent,
      probe_bytes);
  EXPECT_EQ(so_error(fd), 0);
  EXPECT_EQ(peer().command("drain " + std::to_string(me)), "draining");
  ASSERT_EQ(api().set_nonblocking(fd, 0), 0) << err();
  ASSERT_TRUE(send_all(fd, ByteSpan(data).subspan(sent)));
  ASSERT_EQ(api().shutdown(fd, SHUT_WR), 0) << err();
  std::ostringstream want;
  want << "slow " << total << " " << fnv1a(data);
  EXPECT_EQ(peer().command("slow? " + std::to_string(me)), want.str());
}

// The other way round: the kernel sends, we do not read. Our window closes
// (lwIP advertises 0 once the connection's receive buffer is full), the
// kernel probes it, and after the stall we read everything byte-exact.
TEST_P(KernelPeerTimers, AStalledWeftReaderIsProbedByTheKernelAndLosesNothing) {
  TapWatch watch;
  ASSERT_TRUE(watch.ok()) << "packet socket: " << std::strerror(errno);
  int listener = listen_here();
  ASSERT_GE(listener, 0);
  const std::uint16_t port = port_of(listener);
  // Within the peer's 5 s SO_SNDTIMEO for the whole stall.
  const std::size_t total = std::size_t{4} << 20;
  const std::string connected =
      peer().command("connect " + std::string(api().local(family())) + " " + std::to_string(port) +
                     " " + std::to_string(total) + " 24");
  ASSERT_EQ(connected.rfind("connected ", 0), 0U) << connected;
  int fd = api().accept(listener, nullptr, nullptr);
  ASSERT_GE(fd, 0) << err();
  set_timeout(fd, SO_RCVTIMEO, 20'000);
  const std::uint16_t kernel_port = peer_of(fd).port();
  bool zero_window = false;
  int probes = 0;
  std::size_t probe_bytes = 0;
  for (int round = 0; round < 6 && probes < 2; ++round) {
    for (const Segment& s : watch.segments(port, kernel_port, 500)) {
      if (!s.from_kernel && s.window == 0) zero_window = true;
      if (s.from_kernel && zero_window && (s.flags & (kSyn | kRst | kFin)) == 0 && s.payload <= 1) {
        ++probes;
        probe_bytes = s.payload;
      }
    }
  }
  EXPECT_TRUE(zero_window) << "lwIP never advertised a zero window";
  EXPECT_GE(probes, 1) << "no zero-window probe from the kernel";
  std::printf("the kernel's zero-window probe carries %zu byte(s)\n", probe_bytes);
  const Bytes got = recv_exact(fd, total);
  EXPECT_TRUE(got == pattern(total, 24)) << "what the kernel sent differs";
  ASSERT_EQ(api().shutdown(fd, SHUT_WR), 0) << err();
  std::ostringstream want;
  want << "done 0 " << fnv1a(Bytes{});
  EXPECT_EQ(peer().read_line(), want.str());
  api().close(fd);
}

// Keepalive. An idle connection with SO_KEEPALIVE (idle 1 s, interval 1 s, 2
// probes): lwIP probes, the kernel answers every probe and the connection
// stays up; then the kernel can no longer answer (a blackhole route for our
// address in its namespace) and the probes run out: recv fails.
TEST_P(KernelPeerTimers, KeepaliveProbesAreAnsweredThenTheirLossEndsTheConnection) {
  const std::string ip = integration::ip_program();
  if (ip.empty()) GTEST_SKIP() << "no ip program (iproute2)";
  TapWatch watch;
  ASSERT_TRUE(watch.ok()) << "packet socket: " << std::strerror(errno);
  int fd = connect_to("hold");
  ASSERT_GE(fd, 0);
  const std::uint16_t me = port_of(fd);
  const std::uint16_t kernel_port = peer_of(fd).port();
  const int on = 1;
  const int one = 1;
  const int two = 2;
  ASSERT_EQ(api().setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on), 0) << err();
  ASSERT_EQ(api().setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &one, sizeof one), 0) << err();
  ASSERT_EQ(api().setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &one, sizeof one), 0) << err();
  ASSERT_EQ(api().setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &two, sizeof two), 0) << err();
  int probes = 0;
  int answers = 0;
  std::size_t probe_bytes = 0;
  for (int round = 0; round < 20 && answers < 2; ++round) {
    for (const Segment& s : watch.segments(me, kernel_port, 500)) {
      if (!s.from_kernel) {
        ++probes;
        probe_bytes = s.payload;
      } else if (probes > answers) {
        ++answers;
      }
    }
  }
  EXPECT_GE(probes, 2) << "no keepalive probes";
  EXPECT_GE(answers, 2) << "the kernel did not answer the probes";
  std::printf("lwIP's keepalive probe carries %zu byte(s)\n", probe_bytes);
  EXPECT_EQ(so_error(fd), 0);
  EXPECT_EQ(wait_for(fd, POLLIN, 0), 0);

  const std::string route = std::string(api().local(AF_INET)) + "/32";
  ASSERT_EQ(std::system((ip + " route add blackhole " + route).c_str()), 0);
  const short revents = wait_for(fd, POLLIN, 20'000);
  EXPECT_NE(revents & (POLLERR | POLLHUP), 0) << "revents " << revents;
  char c = 0;
  EXPECT_FAILS_WITH(api().recv(fd, &c, 1, 0), ETIMEDOUT);
  EXPECT_EQ(std::system((ip + " route del blackhole " + route).c_str()), 0);
}

CONFORMANCE_INSTANTIATE_OVERLAY(KernelPeer);
INSTANTIATE_TEST_SUITE_P(Overlay, KernelPeerTimers,
                         ::testing::Values(Param{&overlay_backend(), AF_INET}), param_name);

}  // namespace
}  // namespace weft::conformance
