// Runs in a network namespace of its own (support/private_netns.hpp): every
// device made here vanishes with the test process. Skipped where the machine
// has no /dev/net/tun or the test may not make a namespace.
#include "osdep/linux_tap.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <vector>

#include "support/private_netns.hpp"

extern "C" unsigned int if_nametoindex(const char* ifname);

namespace weft::osdep {
namespace {

class LinuxTapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string& why_not = test_support::enter_private_netns();
    if (!why_not.empty()) GTEST_SKIP() << why_not;
    auto probe = LinuxTap::open("weftprobe%d");
    if (!probe) GTEST_SKIP() << "cannot create a TAP device here: " << message(probe.error());
  }
};

bool exists(const std::string& name) { return if_nametoindex(name.c_str()) != 0; }

InterfaceAddress v4(const char* text, int prefix) {
  InterfaceAddress a;
  a.prefix = static_cast<std::uint8_t>(prefix);
  EXPECT_EQ(::inet_pton(AF_INET, text, a.bytes.data()), 1);
  return a;
}

InterfaceAddress v6(const char* text, int prefix) {
  InterfaceAddress a;
  a.ipv6 = true;
  a.prefix = static_cast<std::uint8_t>(prefix);
  EXPECT_EQ(::inet_pton(AF_INET6, text, a.bytes.data()), 1);
  return a;
}

// Whether the kernel holds `a` on some interface: binding to an address that
// is not local fails with EADDRNOTAVAIL.
bool local(const InterfaceAddress& a) {
  const int s = ::socket(a.ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int r = 0;
  if (a.ipv6) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    std::memcpy(&sa.sin6_addr, a.bytes.data(), 16);
    r = ::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    std::memcpy(&sa.sin_addr, a.bytes.data(), 4);
    r = ::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  }
  ::close(s);
  return r == 0;
}

ifreq query(const std::string& name, unsigned long request) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), sizeof ifr.ifr_name - 1);
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(::ioctl(s, request, &ifr), 0) << std::strerror(errno);
  ::close(s);
  return ifr;
}

const Mac kMac = Mac::parse("02:11:22:33:44:55").value();

// Everything the kernel sent so far (the device is non-blocking: no wait).
std::vector<std::vector<std::byte>> drain(LinuxTap& tap) {
  constexpr std::size_t kSlot = 2048;
  std::vector<std::byte> buffer(16 * kSlot);
  std::array<ByteSpan, 16> frames{};
  std::vector<std::vector<std::byte>> out;
  for (;;) {
    auto batch = tap.read_batch(buffer, kSlot, frames);
    EXPECT_TRUE(batch.ok());
    if (!batch || batch->count == 0) return out;
    for (std::size_t i = 0; i < batch->count; ++i)
      out.emplace_back(frames[i].begin(), frames[i].end());
  }
}

// The first frame the kernel sends that `match` accepts (the device is
// polled; 10 s is a bound against a hang, not a measure of speed).
template <typename Match>
std::vector<std::byte> next_frame(LinuxTap& tap, Match match) {
  for (int rounds = 0; rounds < 100; ++rounds) {
    for (auto& f : drain(tap))
      if (match(f)) return f;
    pollfd p{tap.fd(), POLLIN, 0};
    (void)::poll(&p, 1, 100);
  }
  return {};
}

std::uint16_t checksum(const std::byte* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += (std::to_integer<std::uint32_t>(p[i]) << 8) | std::to_integer<std::uint32_t>(p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

TEST_F(LinuxTapTest, CreatesANamedDeviceAndRemovesItWhenClosed) {
  {
    auto tap = LinuxTap::open("wefttest0");
    ASSERT_TRUE(tap.ok()) << message(tap.error());
    EXPECT_EQ(tap->name(), "wefttest0");
    EXPECT_GT(tap->index(), 0);
    EXPECT_TRUE(exists("wefttest0"));
  }
  EXPECT_FALSE(exists("wefttest0"));
}

TEST_F(LinuxTapTest, APatternNameGetsTheLowestFreeNumber) {
  auto a = LinuxTap::open("weftp%d");
  auto b = LinuxTap::open("weftp%d");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->name(), "weftp0");
  EXPECT_EQ(b->name(), "weftp1");
}

TEST_F(LinuxTapTest, ANameInUseIsAlreadyExists) {
  auto first = LinuxTap::open("wefttest1");
  ASSERT_TRUE(first.ok());
  auto again = LinuxTap::open("wefttest1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), Error::already_exists);
  auto lo = LinuxTap::open("lo");  // a device of another kind
  ASSERT_FALSE(lo.ok());
  EXPECT_EQ(lo.error(), Error::already_exists);
  EXPECT_TRUE(exists("wefttest1"));  // the refused opens left the first alone
}

TEST_F(LinuxTapTest, BadNamesAreInvalidArguments) {
  for (const char* bad :
       {"", "a/b", "a:b", "a b", "weft%d%d", "weft%s", "sixteen-chars-xx", ".."}) {
    auto tap = LinuxTap::open(bad);
    ASSERT_FALSE(tap.ok()) << bad;
    EXPECT_EQ(tap.error(), Error::invalid_argument) << bad;
  }
}

TEST_F(LinuxTapTest, SetsMacMtuAndUp) {
  auto tap = LinuxTap::open("wefttest2");
  ASSERT_TRUE(tap.ok());
  ASSERT_TRUE(tap->set_mac(kMac).ok());
  ASSERT_TRUE(tap->set_mtu(2800).ok());
  ASSERT_TRUE(tap->set_up(true).ok());
  const auto hw = query("wefttest2", SIOCGIFHWADDR);
  EXPECT_EQ(std::memcmp(hw.ifr_hwaddr.sa_data, kMac.to_bytes().data(), 6), 0);
  EXPECT_EQ(query("wefttest2", SIOCGIFMTU).ifr_mtu, 2800);
  EXPECT_TRUE(query("wefttest2", SIOCGIFFLAGS).ifr_flags & IFF_UP);
  EXPECT_EQ(tap->set_mtu(20).error(), Error::invalid_argument);
}

TEST_F(LinuxTapTest, AddsAndRemovesAddressesOfBothFamilies) {
  auto tap = LinuxTap::open("wefttest3");
  ASSERT_TRUE(tap.ok());
  ASSERT_TRUE(tap->set_mac(kMac).ok());
  ASSERT_TRUE(tap->set_up(true).ok());
  const auto a4 = v4("10.77.0.1", 24);
  const auto a6 = v6("fd00:77::1", 64);
  ASSERT_FALSE(local(a4));
  ASSERT_TRUE(tap->add_address(a4).ok());
  ASSERT_TRUE(tap->add_address(a6).ok());
  EXPECT_TRUE(local(a4));
  EXPECT_TRUE(local(a6));                  // usable at once: no duplicate address detection
  EXPECT_TRUE(tap->add_address(a4).ok());  // again: replaced, not an error
  ASSERT_TRUE(tap->remove_address(a4).ok());
  ASSERT_TRUE(tap->remove_address(a6).ok());
  EXPECT_FALSE(local(a4));
  EXPECT_FALSE(local(a6));
  EXPECT_FALSE(tap->remove_address(a4).ok());  // the kernel's own refusal comes back
}

TEST_F(LinuxTapTest, FramesCrossBothWaysByteExact) {
  auto tap = LinuxTap::open("wefttest4");
  ASSERT_TRUE(tap.ok());
  ASSERT_TRUE(tap->set_mac(kMac).ok());
  ASSERT_TRUE(tap->set_up(true).ok());
  ASSERT_TRUE(tap->add_address(v4("10.78.0.1", 24)).ok());
  (void)drain(*tap);  // whatever the kernel said on its own (IPv6 router solicitations...)

  // Inward: an Ethernet frame carrying IPv4/UDP from 10.78.0.2 to the kernel.
  const int rx = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(4242);
  ASSERT_EQ(::inet_pton(AF_INET, "10.78.0.1", &sa.sin_addr), 1);
  ASSERT_EQ(::bind(rx, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  const std::string payload = "from the overlay to the kernel, byte for byte";
  std::vector<std::byte> frame(14 + 20 + 8 + payload.size());
  const auto mac = kMac.to_bytes();
  std::memcpy(frame.data(), mac.data(), 6);
  const std::uint8_t src_mac[6] = {0x02, 0x99, 0, 0, 0, 2};
  std::memcpy(frame.data() + 6, src_mac, 6);
  frame[12] = std::byte{0x08};
  std::byte* ip = frame.data() + 14;
  const std::uint16_t total = static_cast<std::uint16_t>(20 + 8 + payload.size());
  const std::uint8_t header[20] = {0x45,
                                   0,
                                   static_cast<std::uint8_t>(total >> 8),
                                   static_cast<std::uint8_t>(total),
                                   0,
                                   1,
                                   0x40,
                                   0,
                                   64,
                                   17,
                                   0,
                                   0,
                                   10,
                                   78,
                                   0,
                                   2,
                                   10,
                                   78,
                                   0,
                                   1};
  std::memcpy(ip, header, 20);
  const std::uint16_t sum = checksum(ip, 20);
  ip[10] = std::byte(sum >> 8);
  ip[11] = std::byte(sum & 0xff);
  const std::uint16_t udp_len = static_cast<std::uint16_t>(8 + payload.size());
  const std::uint8_t udp[8] = {0x30,
                               0x39,
                               0x10,
                               0x92,
                               static_cast<std::uint8_t>(udp_len >> 8),
                               static_cast<std::uint8_t>(udp_len),
                               0,
                               0};  // 12345 -> 4242
  std::memcpy(ip + 20, udp, 8);
  std::memcpy(ip + 28, payload.data(), payload.size());
  ASSERT_TRUE(tap->write(frame).ok());
  char got[256];
  const ssize_t n = ::recv(rx, got, sizeof got, 0);  // blocking: the kernel took it already
  ASSERT_EQ(n, static_cast<ssize_t>(payload.size()));
  EXPECT_EQ(std::string(got, static_cast<std::size_t>(n)), payload);

  // Outward: the kernel answers to 10.78.0.2, whose MAC it learnt from that
  // frame; the reply leaves through the device as an Ethernet frame.
  const std::string reply = "and back from the kernel";
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(12345);
  ASSERT_EQ(::inet_pton(AF_INET, "10.78.0.2", &to.sin_addr), 1);
  ASSERT_EQ(
      ::sendto(rx, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
      static_cast<ssize_t>(reply.size()));
  ::close(rx);
  // It asks for 10.78.0.2 first (ARP); our answer releases the datagram.
  const auto arp = next_frame(*tap, [](const std::vector<std::byte>& f) {
    return f.size() >= 42 && f[12] == std::byte{0x08} && f[13] == std::byte{0x06} &&
           f[21] == std::byte{1};
  });
  ASSERT_FALSE(arp.empty());
  std::vector<std::byte> answer(42);
  std::memcpy(answer.data(), mac.data(), 6);
  std::memcpy(answer.data() + 6, src_mac, 6);
  std::memcpy(answer.data() + 12, arp.data() + 12, 8);  // ethertype, htype, ptype, sizes
  answer[21] = std::byte{2};                            // reply
  std::memcpy(answer.data() + 22, src_mac, 6);          // sender: 10.78.0.2 is at src_mac
  std::memcpy(answer.data() + 28, arp.data() + 38, 4);
  std::memcpy(answer.data() + 32, arp.data() + 22, 10);  // target: the asker
  ASSERT_TRUE(tap->write(answer).ok());
  const auto udp_out = next_frame(*tap, [&](const std::vector<std::byte>& f) {
    return f.size() >= 14 + 28 && f[12] == std::byte{0x08} && f[13] == std::byte{0} &&
           std::string(reinterpret_cast<const char*>(f.data() + 42), f.size() - 42) == reply;
  });
  ASSERT_FALSE(udp_out.empty());
  EXPECT_EQ(std::memcmp(udp_out.data(), src_mac, 6), 0);
  EXPECT_EQ(std::memcmp(udp_out.data() + 6, mac.data(), 6), 0);
}

TEST_F(LinuxTapTest, ReadWithNothingQueuedReturnsAtOnce) {
  auto tap = LinuxTap::open("wefttest5");  // down: the kernel sends nothing
  ASSERT_TRUE(tap.ok());
  std::vector<std::byte> buffer(4 * 2048);
  std::array<ByteSpan, 4> frames{};
  auto batch = tap->read_batch(buffer, 2048, frames);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->count, 0U);
  EXPECT_EQ(tap->read_batch(buffer, 4096, frames).error(), Error::invalid_argument);
}

// A child without CAP_NET_ADMIN: its open is refused with permission_denied.
TEST_F(LinuxTapTest, WithoutCapNetAdminPermissionDenied) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &hdr, data) != 0) ::_exit(10);
    data[0].effective &= ~(1U << CAP_NET_ADMIN);
    if (::syscall(SYS_capset, &hdr, data) != 0) ::_exit(11);
    auto tap = LinuxTap::open("wefttest6");
    ::_exit(!tap.ok() && tap.error() == Error::permission_denied ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// A child whose /dev/net is an empty directory (a private mount namespace):
// its open is refused with not_found.
TEST_F(LinuxTapTest, WithoutDevNetTunNotFound) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(77);
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(77);
    if (::mount("tmpfs", "/dev/net", "tmpfs", 0, nullptr) != 0) ::_exit(77);
    auto tap = LinuxTap::open("wefttest7");
    ::_exit(!tap.ok() && tap.error() == Error::not_found ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "no private mount namespace here";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace weft::osdep
