// The Linux kernel as a member of a network (weft join NET --tap): a root, a
// controller and two weftd node daemons, one whose member is the kernel's own
// TCP/IP stack through a TAP device, one whose member is its user-space
// (lwIP) stack. Everything runs in a network namespace this test process
// makes for itself (support/private_netns.hpp): the daemons inherit it, talk
// over its own loopback, and the namespace (with any device) vanishes with
// the processes. Where that is impossible (no root or user namespaces, no
// /dev/net/tun) every test is skipped, never passed.
//
// The kernel side is this test process itself: its raw ICMP sockets ping the
// user-space member, and curl / python3 -m http.server run as plain programs
// in the namespace against `weft run` programs on the user-space node.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/child_process.hpp"
#include "integration/files.hpp"
#include "integration/intercept_world.hpp"
#include "integration/lab.hpp"
#include "osdep/linux_tap.hpp"
#include "support/build_kind.hpp"
#include "support/pattern.hpp"
#include "support/private_netns.hpp"

extern "C" unsigned int if_nametoindex(const char* ifname);

namespace weft::integration {
namespace {

using namespace std::chrono_literals;

const std::string kPython = WEFT_PYTHON3;
constexpr const char* kDevice = "weftk0";

bool device_exists(const char* name) { return if_nametoindex(name) != 0; }

// Waits (bounded: not a measure of speed) until the device is there or gone.
bool device_becomes(const char* name, bool present) {
  for (int i = 0; i < 400; ++i) {
    if (device_exists(name) == present) return true;
    std::this_thread::sleep_for(25ms);
  }
  return false;
}

// A root, a controller, a network (10.9.0.0/24 and its IPv6 addresses), a
// kernel TAP member and a user-space member.
class KernelWorld {
 public:
  KernelWorld() : lab_(WEFT_WEFTD_PATH, WEFT_CLI_PATH) {
    if (!lab_.ready()) return;
    net_ = lab_.cli({"network", "create", "lab", "--pool", "10.9.0.0/24"});
    if (net_.size() != 16) return;
    kernel_ = start("k", {"--tap", kDevice});
    user_ = start("u", {});
  }

  [[nodiscard]] bool ready() const { return !kernel_.ip4.empty() && !user_.ip4.empty(); }
  [[nodiscard]] Daemon& kernel() { return kernel_; }
  [[nodiscard]] Daemon& user() { return user_; }
  [[nodiscard]] const std::string& dir() const { return lab_.dir(); }
  [[nodiscard]] const std::string& net() const { return net_; }

  // A node daemon, authorized, joined with `join_args`, with its addresses.
  Daemon start(const std::string& name, const std::vector<std::string>& join_args) {
    return start_member(lab_, net_, name, {}, join_args);
  }

 private:
  Lab lab_;
  std::string net_;
  Daemon kernel_;
  Daemon user_;
};

class KernelTapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string& why_not = test_support::enter_private_netns();
    if (!why_not.empty()) GTEST_SKIP() << why_not;
    {
      auto probe = osdep::LinuxTap::open("weftprobe%d");
      if (!probe) GTEST_SKIP() << "cannot create a TAP device here: " << message(probe.error());
    }
    world_ = std::make_unique<KernelWorld>();
    ASSERT_TRUE(world_->ready()) << "the lab did not come up";
  }
  std::unique_ptr<KernelWorld> world_;
};

// ICMP echo from this process (the kernel's stack) to `ip` and back: `count`
// requests of `size` bytes each, every reply's payload byte-exact. A request
// lost while the overlay finds its path is sent again (at most 30 times; the
// bound is against a hang, not a measure of speed).
void ping(const std::string& ip, bool ipv6, int count, std::size_t size) {
  const int s = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC,
                         ipv6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
  ASSERT_GE(s, 0) << std::strerror(errno);
  timeval tv{0, 500'000};
  ASSERT_EQ(::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  sockaddr_storage to{};
  socklen_t to_len = 0;
  if (ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&to);
    a->sin6_family = AF_INET6;
    ASSERT_EQ(::inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr), 1);
    to_len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&to);
    a->sin_family = AF_INET;
    ASSERT_EQ(::inet_pton(AF_INET, ip.c_str(), &a->sin_addr), 1);
    to_len = sizeof *a;
  }
  // An id per call: a late reply to an earlier call's retry is not this one's.
  static std::uint16_t calls = 0;
  const std::uint16_t id = static_cast<std::uint16_t>(::getpid() + 256 * ++calls);
  for (int seq = 1; seq <= count; ++seq) {
    const Bytes payload = test_support::pattern(size, static_cast<std::uint32_t>(seq));
    std::vector<std::uint8_t> request(8 + size);
    request[0] = ipv6 ? 128 : 8;  // echo request
    request[4] = static_cast<std::uint8_t>(id >> 8);
    request[5] = static_cast<std::uint8_t>(id);
    request[6] = static_cast<std::uint8_t>(seq >> 8);
    request[7] = static_cast<std::uint8_t>(seq);
    std::memcpy(request.data() + 8, payload.data(), size);
    if (!ipv6) {  // ICMPv6's checksum the kernel computes itself
      std::uint32_t sum = 0;
      for (std::size_t i = 0; i + 1 < request.size(); i += 2)
        sum += static_cast<std::uint32_t>(request[i] << 8 | request[i + 1]);
      if (request.size() % 2) sum += static_cast<std::uint32_t>(request.back() << 8);
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      request[2] = static_cast<std::uint8_t>(~sum >> 8);
      request[3] = static_cast<std::uint8_t>(~sum);
    }
    bool answered = false;
    for (int attempt = 0; attempt < 30 && !answered; ++attempt) {
      ASSERT_EQ(
          ::sendto(s, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&to), to_len),
          static_cast<ssize_t>(request.size()))
          << std::strerror(errno);
      std::uint8_t reply[65536];
      for (;;) {
        const ssize_t n = ::recv(s, reply, sizeof reply, 0);
        if (n < 0) break;  // timed out: send again
        std::size_t off = 0;
        if (!ipv6) off = static_cast<std::size_t>(reply[0] & 0x0f) * 4;  // IPv4 raw: header first
        if (static_cast<std::size_t>(n) < off + 8) continue;
        const std::uint8_t* icmp = reply + off;
        if (icmp[0] != (ipv6 ? 129 : 0)) continue;  // echo reply, else another message
        if ((icmp[4] << 8 | icmp[5]) != id || (icmp[6] << 8 | icmp[7]) != seq) continue;
        ASSERT_EQ(static_cast<std::size_t>(n) - off - 8, size);
        EXPECT_EQ(std::memcmp(icmp + 8, payload.data(), size), 0) << "echo payload differs";
        answered = true;
        break;
      }
    }
    EXPECT_TRUE(answered) << "no echo reply for " << ip << " seq " << seq;
  }
  ::close(s);
}

TEST_F(KernelTapTest, TheDeviceHasTheMembersAddresses) {
  EXPECT_TRUE(device_exists(kDevice));
  const auto r = run_command(world_->kernel().cli({"networks", "--json"}));
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  ASSERT_EQ(j["networks"].size(), 1U);
  EXPECT_EQ(j["networks"][0]["tap"], kDevice);
  const auto u = run_command(world_->user().cli({"networks", "--json"}));
  const auto ju = nlohmann::json::parse(u.out, nullptr, false);
  ASSERT_FALSE(ju.is_discarded());
  EXPECT_TRUE(ju["networks"][0]["tap"].is_null());
  // The kernel holds the address: binding to it works only if it is local.
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ASSERT_EQ(::inet_pton(AF_INET, world_->kernel().ip4.c_str(), &a.sin_addr), 1);
  EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
  ::close(s);
}

TEST_F(KernelTapTest, KernelPingsTheUserSpaceMemberIpv4) {
  ping(world_->user().ip4, false, 5, 56);
  ping(world_->user().ip4, false, 3, 1400);  // a full frame at the network's MTU
}

TEST_F(KernelTapTest, KernelPingsTheUserSpaceMemberIpv6) { ping(world_->user().ip6, true, 5, 56); }

const std::size_t kBulk = test_support::kFullSpeedBuild ? 100u << 20 : 8u << 20;

// `python3 -m http.server` on the user-space node (weft run), curl in the
// namespace (the kernel's TCP); the file byte-exact.
void kernel_fetches_from_user(KernelWorld& world, std::size_t size) {
  const std::string www = world.dir() + "/www-user";
  std::filesystem::create_directories(www);
  const Bytes data = test_support::pattern(size, 11);
  write_file(www + "/file.bin", data);
  const Daemon& user = world.user();
  const HttpServer http = serve_http(user, kPython, www);
  ASSERT_FALSE(http.port.empty());
  const std::string out = world.dir() + "/fetched-by-kernel";
  const std::string url = "http://" + user.ip4 + ":" + http.port + "/file.bin";
  const auto started = std::chrono::steady_clock::now();
  const auto r = run_command({"/usr/bin/curl", "-sS", "--fail", "--noproxy", "*", "-o", out, url});
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.exit_code, 0);
  const std::string got = slurp(out);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == as_string(data)) << "the fetched file differs";
  std::printf("user-space node -> kernel: %zu MiB in %.2f s (%.1f MiB/s)\n", size >> 20,
              took.count(), static_cast<double>(size >> 20) / took.count());
}

// `python3 -m http.server` in the namespace (the kernel's TCP) on the kernel
// member's address; the user-space node fetches through `weft run`.
void user_fetches_from_kernel(KernelWorld& world, std::size_t size) {
  const std::string www = world.dir() + "/www-kernel";
  std::filesystem::create_directories(www);
  const Bytes data = test_support::pattern(size, 12);
  write_file(www + "/file.bin", data);
  const Daemon& kernel = world.kernel();
  auto http = ChildProcess::spawn(
      {kPython, "-u", "-m", "http.server", "0", "--bind", kernel.ip4, "--directory", www},
      ChildProcess::Ending::terminate);
  ASSERT_TRUE(http);
  const auto w = words(http->expect_line("Serving HTTP on "));
  ASSERT_GE(w.size(), 6U);
  const std::string out = world.dir() + "/fetched-from-kernel";
  const std::string url = "http://" + kernel.ip4 + ":" + w[5] + "/file.bin";
  const auto started = std::chrono::steady_clock::now();
  const auto r = run_command(world.user().run(fetch_command(kPython, url, out)));
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.exit_code, 0);
  const std::string got = slurp(out);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == as_string(data)) << "the fetched file differs";
  std::printf("kernel -> user-space node: %zu MiB in %.2f s (%.1f MiB/s)\n", size >> 20,
              took.count(), static_cast<double>(size >> 20) / took.count());
}

// A program under `weft run` on the kernel member's own daemon: that network is
// the kernel's, so the program's socket to it stays a kernel socket (through the
// TAP device); weftd's stack does not serve it. `weft run` once told the preload
// the network was virtual, and such a connect went to weftd and failed.
TEST_F(KernelTapTest, WeftRunOnTheKernelMembersDaemonLeavesItsNetworkToTheKernel) {
  const std::string www = world_->dir() + "/www-user-small";
  std::filesystem::create_directories(www);
  const Bytes data = test_support::pattern(1U << 20, 13);
  write_file(www + "/file.bin", data);
  const Daemon& user = world_->user();
  const HttpServer http = serve_http(user, kPython, www);
  ASSERT_FALSE(http.port.empty());
  const auto env = run_command(world_->kernel().run({"/usr/bin/env"}));
  ASSERT_EQ(env.exit_code, 0);
  const auto at = env.out.find("WEFT_PREFIXES=");
  ASSERT_NE(at, std::string::npos) << env.out;
  EXPECT_EQ(env.out.substr(at, env.out.find('\n', at) - at), "WEFT_PREFIXES=")
      << "the kernel network's addresses were given to the preload as virtual";
  const std::string out = world_->dir() + "/fetched-under-weft-run-by-kernel";
  const std::string url = "http://" + user.ip4 + ":" + http.port + "/file.bin";
  const auto r = run_command(world_->kernel().run(fetch_command(kPython, url, out)));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(slurp(out) == as_string(data)) << "the fetched file differs";
}

TEST_F(KernelTapTest, KernelCurlFetchesFromTheUserSpaceNode) {
  kernel_fetches_from_user(*world_, kBulk);
}

TEST_F(KernelTapTest, UserSpaceNodeFetchesFromTheKernel) {
  user_fetches_from_kernel(*world_, kBulk);
}

// The kernel's device given a larger MTU than the network's (an administrator's
// `ip link set mtu 9000`): TCP still transfers both ways, as each side's MSS
// option keeps the other's segments within its own MTU.
TEST_F(KernelTapTest, AKernelMemberWithALargerMtuStillTransfers) {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, kDevice, sizeof ifr.ifr_name - 1);
  ifr.ifr_mtu = 9000;
  ASSERT_EQ(::ioctl(s, SIOCSIFMTU, &ifr), 0) << std::strerror(errno);
  ::close(s);
  kernel_fetches_from_user(*world_, 4u << 20);
  user_fetches_from_kernel(*world_, 4u << 20);
}

TEST_F(KernelTapTest, LeavingRemovesTheDeviceAndJoiningAgainMakesIt) {
  ASSERT_EQ(run_command(world_->kernel().cli({"leave", world_->net()})).exit_code, 0);
  EXPECT_TRUE(device_becomes(kDevice, false));
  ASSERT_EQ(run_command(world_->kernel().cli({"join", world_->net(), "--tap", kDevice})).exit_code,
            0);
  EXPECT_TRUE(device_becomes(kDevice, true));
  Daemon& k = world_->kernel();
  k.ip4.clear();
  for (int i = 0; i < 400 && k.ip4.empty(); ++i) {
    read_addresses(k);
    if (k.ip4.empty()) std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(k.ip4.empty());
  ping(world_->user().ip4, false, 2, 56);
}

TEST_F(KernelTapTest, StoppingTheDaemonRemovesTheDeviceAndAStartMakesItAgain) {
  Daemon& k = world_->kernel();
  k.process.reset();  // SIGTERM and wait
  EXPECT_TRUE(device_becomes(kDevice, false));
  k.process = ChildProcess::spawn({WEFT_WEFTD_PATH, "--state", k.state, "--listen", "127.0.0.1:0"},
                                  ChildProcess::Ending::terminate);
  ASSERT_TRUE(k.process);
  ASSERT_FALSE(k.process->expect_line("intercept ").empty());
  EXPECT_TRUE(device_becomes(kDevice, true));  // rejoined in kernel mode from its state
}

TEST_F(KernelTapTest, AKilledDaemonLeavesNoDevice) {
  Daemon& k = world_->kernel();
  k.process->kill();
  (void)k.process->wait_exit();
  EXPECT_TRUE(device_becomes(kDevice, false));
}

// Bad input at join time: a clear error, and the daemon carries on.
TEST_F(KernelTapTest, ANameInUseOrInvalidIsRefusedAndTheDaemonCarriesOn) {
  const std::string other = "8056c2e21c00abcd";  // not joined: the device is checked first
  auto taken = run_command(world_->user().cli({"join", other, "--tap", "lo", "--json"}));
  EXPECT_NE(taken.out.find("already_exists"), std::string::npos) << taken.out;
  EXPECT_NE(taken.out.find("exists already"), std::string::npos) << taken.out;
  auto bad = run_command(world_->user().cli({"join", other, "--tap", "a/b", "--json"}));
  EXPECT_NE(bad.out.find("invalid_argument"), std::string::npos) << bad.out;
  auto again = run_command(world_->kernel().cli({"join", world_->net(), "--json"}));
  EXPECT_NE(again.out.find("already_connected"), std::string::npos) << again.out;
  // Nothing joined; the user-space member still answers.
  const auto r = run_command(world_->user().cli({"networks", "--json"}));
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["networks"].size(), 1U);
  ping(world_->user().ip4, false, 1, 56);
}

// A daemon without CAP_NET_ADMIN (root, its bounding set without it: what
// setpriv does): --tap is refused at join time with the reason, and the
// daemon carries on.
TEST_F(KernelTapTest, WithoutCapNetAdminJoinSaysSoAndTheDaemonCarriesOn) {
  const std::string setpriv = "/usr/bin/setpriv";
  if (::access(setpriv.c_str(), X_OK) != 0) GTEST_SKIP() << "no " << setpriv << " (util-linux)";
  const std::string state = world_->dir() + "/p";
  auto weftd =
      ChildProcess::spawn({setpriv, "--bounding-set", "-net_admin", "--inh-caps", "-net_admin",
                           WEFT_WEFTD_PATH, "--state", state, "--listen", "127.0.0.1:0"},
                          ChildProcess::Ending::terminate);
  ASSERT_TRUE(weftd);
  if (weftd->expect_line("intercept ").empty())
    GTEST_SKIP() << "setpriv could not start weftd without CAP_NET_ADMIN here";
  const auto r = run_command(
      {WEFT_CLI_PATH, "join", world_->net(), "--tap", "weftp0", "--state", state, "--json"});
  EXPECT_NE(r.out.find("permission_denied"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CAP_NET_ADMIN"), std::string::npos) << r.out;
  EXPECT_FALSE(device_exists("weftp0"));
  const auto status = run_command({WEFT_CLI_PATH, "status", "--state", state, "--json"});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("\"networks\": 0"), std::string::npos) << status.out;
}

}  // namespace
}  // namespace weft::integration
