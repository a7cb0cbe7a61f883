// The kernel link against the real kernel, in a network namespace of its own
// (support/private_netns.hpp); skipped where none can be made.
#include "tap/kernel_link.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "support/private_netns.hpp"
#include "unit/tap/frame_recorder.hpp"

extern "C" unsigned int if_nametoindex(const char* ifname);

namespace weft::tap {
namespace {

const Mac kMac = Mac::parse("02:aa:bb:cc:dd:01").value();
constexpr std::uint8_t kPeerMac[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02};

class KernelLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string& why_not = test_support::enter_private_netns();
    if (!why_not.empty()) GTEST_SKIP() << why_not;
    auto device = osdep::LinuxTap::open("weftlink0");
    if (!device) GTEST_SKIP() << "cannot create a TAP device here: " << message(device.error());
    auto link = KernelLink::create(std::move(*device));
    ASSERT_TRUE(link.ok());
    link_ = std::move(*link);
    ASSERT_TRUE(link_->device().set_mac(kMac).ok());
  }
  std::unique_ptr<KernelLink> link_;
};

// The peer's ARP reply (kPeerMac) to an ARP request frame of the kernel's.
Bytes arp_reply(const Bytes& request) {
  Bytes answer(42);
  std::memcpy(answer.data(), request.data() + 6, 6);         // to the asker
  std::memcpy(answer.data() + 6, kPeerMac, 6);               // from the peer
  std::memcpy(answer.data() + 12, request.data() + 12, 8);   // type, hw/proto fields
  answer[21] = std::byte{2};                                 // reply
  std::memcpy(answer.data() + 22, kPeerMac, 6);              // sender MAC
  std::memcpy(answer.data() + 28, request.data() + 38, 4);   // sender IP: the one asked
  std::memcpy(answer.data() + 32, request.data() + 22, 10);  // target: the asker
  return answer;
}

// Waits for a frame `match` accepts among those recorded (the bound only
// keeps a broken build from hanging).
Bytes wait_frame(testing::FrameRecorder& r, const std::function<bool(const Bytes&)>& match) {
  for (std::size_t seen = 0; seen < 10'000; ++seen) {
    if (!r.wait_for(seen + 1)) return {};
    const Bytes f = r.frames()[seen];
    if (match(f)) return f;
  }
  return {};
}

TEST_F(KernelLinkTest, FramesCrossBetweenTheKernelAndTheNetworkSide) {
  testing::FrameRecorder network;
  ASSERT_TRUE(link_->start(1400, network).ok());
  osdep::InterfaceAddress a;
  a.prefix = 24;
  ASSERT_EQ(::inet_pton(AF_INET, "10.79.0.1", a.bytes.data()), 1);
  ASSERT_TRUE(link_->device().add_address(a).ok());

  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(7);
  ASSERT_EQ(::inet_pton(AF_INET, "10.79.0.2", &to.sin_addr), 1);
  const std::string payload(1372, 'k');  // a full 1400-byte IP packet
  ASSERT_EQ(
      ::sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
      static_cast<ssize_t>(payload.size()));
  ::close(s);

  // The reader thread delivers the kernel's ARP request for 10.79.0.2 ...
  const Bytes arp = wait_frame(network, [](const Bytes& f) {
    return f.size() >= 42 && f[12] == std::byte{0x08} && f[13] == std::byte{0x06};
  });
  ASSERT_FALSE(arp.empty());
  EXPECT_EQ(std::memcmp(arp.data() + 6, kMac.to_bytes().data(), 6), 0);
  // ... our answer goes in through send_frames ...
  const Bytes answer = arp_reply(arp);
  const ByteSpan batch[] = {answer};
  link_->send_frames(batch);
  // ... and the datagram follows, whole.
  const Bytes udp = wait_frame(network, [&](const Bytes& f) {
    return f.size() == 14 + 28 + payload.size() && f[12] == std::byte{0x08} &&
           f[13] == std::byte{0x00};
  });
  ASSERT_FALSE(udp.empty());
  EXPECT_EQ(std::memcmp(udp.data(), kPeerMac, 6), 0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(udp.data() + 42), payload.size()), payload);
  const auto st = link_->stats();
  EXPECT_EQ(st.frames_to_kernel, 1U);
  EXPECT_GE(st.frames_from_kernel, 2U);
  EXPECT_EQ(st.oversized_dropped, 0U);
  link_->stop();
  link_->stop();  // idempotent
}

// The device given a larger MTU than the network's: a datagram with DF that
// fits the device but not the network is answered on the device with ICMP
// "fragmentation needed" (never handed to the network), and the kernel's path
// MTU to the destination drops to the network's.
TEST_F(KernelLinkTest, AnOversizePacketIsAnsweredWithFragmentationNeeded) {
  testing::FrameRecorder network;
  ASSERT_TRUE(link_->start(1400, network).ok());
  ASSERT_TRUE(link_->device().set_mtu(9000).ok());
  osdep::InterfaceAddress a;
  a.prefix = 24;
  ASSERT_EQ(::inet_pton(AF_INET, "10.79.0.1", a.bytes.data()), 1);
  ASSERT_TRUE(link_->device().add_address(a).ok());

  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int mode = IP_PMTUDISC_DO;
  ASSERT_EQ(::setsockopt(s, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof mode), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(7);
  ASSERT_EQ(::inet_pton(AF_INET, "10.79.0.2", &to.sin_addr), 1);
  ASSERT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  const std::string payload(4000, 'k');
  ASSERT_EQ(::send(s, payload.data(), payload.size(), 0), static_cast<ssize_t>(payload.size()));
  // The kernel resolves the neighbour first (the ARP request reaches the
  // network side), then sends the 4028-byte packet, which does not.
  const Bytes arp = wait_frame(network, [](const Bytes& f) {
    return f.size() >= 42 && f[12] == std::byte{0x08} && f[13] == std::byte{0x06};
  });
  ASSERT_FALSE(arp.empty());
  const Bytes answer = arp_reply(arp);
  const ByteSpan batch[] = {answer};
  link_->send_frames(batch);
  int mtu = 0;
  for (int i = 0; i < 400; ++i) {  // bounded against a hang, not a measure of speed
    socklen_t len = sizeof mtu;
    ASSERT_EQ(::getsockopt(s, IPPROTO_IP, IP_MTU, &mtu, &len), 0);
    if (mtu == 1400) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(mtu, 1400);
  ::close(s);
  link_->stop();  // the reader thread feeds `network`, which goes first
  EXPECT_EQ(link_->stats().too_big_answered, 1U);
  EXPECT_EQ(link_->stats().oversized_dropped, 0U);
  for (const Bytes& f : network.frames()) EXPECT_LE(f.size(), 14U + 1400U);
}

TEST_F(KernelLinkTest, TheDeviceGoesWithTheLink) {
  testing::FrameRecorder network;
  ASSERT_TRUE(link_->start(1280, network).ok());
  EXPECT_EQ(link_->start(1280, network).error(), Error::invalid_state);
  EXPECT_NE(if_nametoindex("weftlink0"), 0U);
  link_.reset();
  EXPECT_EQ(if_nametoindex("weftlink0"), 0U);
}

}  // namespace
}  // namespace weft::tap
