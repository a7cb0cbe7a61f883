#include "stack/lwip/lwip_netif.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <mutex>
#include <random>
#include <vector>

#include "tap/tap.hpp"
#include "unit/stack/raw_frames.hpp"
#include "wire/internet_checksum.hpp"

namespace weft::stack::lwip {
namespace {

// Records what the stack transmits, batch by batch. lwIP's timers send IPv6
// router solicitations and MLD reports (and IGMP) on their own schedule; those
// are left out so the tests see only replies to what they put in.
bool background(ByteSpan f) {
  if (f.size() < 14) return false;
  auto type = load_be16(f.subspan<12, 2>());
  return type == 0x86dd || (type == 0x0800 && f.size() > 23 && f[23] == std::byte{2});
}

struct Recorder final : tap::FrameSink {
  void send_frames(std::span<const ByteSpan> batch) override {
    std::lock_guard lock(mu);
    std::vector<Bytes> kept;
    for (ByteSpan f : batch)
      if (!background(f)) kept.emplace_back(f.begin(), f.end());
    if (!kept.empty()) batches.push_back(std::move(kept));
  }
  std::vector<std::vector<Bytes>> take() {
    std::lock_guard lock(mu);
    return std::exchange(batches, {});
  }
  std::mutex mu;
  std::vector<std::vector<Bytes>> batches;
};

constexpr std::uint8_t kOurMac[6] = {0x02, 0, 0, 0, 0, 0x01};
constexpr std::uint8_t kPeerMac[6] = {0x02, 0, 0, 0, 0, 0x99};
constexpr std::uint8_t kOurIp[4] = {10, 1, 0, 1};
constexpr std::uint8_t kPeerIp[4] = {10, 1, 0, 99};

void put(Bytes& f, std::initializer_list<std::uint8_t> bytes) { test::append(f, bytes); }
void put(Bytes& f, const std::uint8_t* p, std::size_t n) { test::append(f, p, n); }

Bytes arp_request() { return test::arp_request(kPeerMac, kPeerIp, kOurIp); }

std::uint16_t checksum(ByteSpan b) { return wire::checksum_fold(wire::checksum_add(b)); }

Bytes ping(std::uint16_t seq) {
  Bytes f;
  put(f, kOurMac, 6);
  put(f, kPeerMac, 6);
  put(f, {0x08, 0x00});
  const std::size_t ip = f.size();
  put(f, {0x45, 0, 0, 28 + 8, 0, 1, 0, 0, 64, 1, 0, 0});
  put(f, kPeerIp, 4);
  put(f, kOurIp, 4);
  store_be16(std::span<std::byte, 2>(f.data() + ip + 10, 2), checksum(ByteSpan(f).subspan(ip, 20)));
  const std::size_t icmp = f.size();
  put(f, {8, 0, 0, 0, 0x12, 0x34, static_cast<std::uint8_t>(seq >> 8U), static_cast<std::uint8_t>(seq)});
  put(f, {'w', 'e', 'f', 't', 'p', 'i', 'n', 'g'});
  store_be16(std::span<std::byte, 2>(f.data() + icmp + 2, 2), checksum(ByteSpan(f).subspan(icmp)));
  return f;
}

class LwipNetifTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tap_ = new tap::Tap(Mac::from_bytes(as_bytes(kOurMac, 6).first<6>()), 1500);
    recorder_ = new Recorder;
    tap_->attach_network(recorder_);
    NetifConfig c;
    c.ipv4 = IpAddress::v4(as_bytes(kOurIp, 4).first<4>());
    auto n = LwipNetif::attach(*tap_, c);
    ASSERT_TRUE(n.ok());
    netif_ = std::move(n).value().release();
  }
  void SetUp() override { recorder_->take(); }
  static tap::Tap* tap_;
  static Recorder* recorder_;
  static LwipNetif* netif_;
};
tap::Tap* LwipNetifTest::tap_ = nullptr;
Recorder* LwipNetifTest::recorder_ = nullptr;
LwipNetif* LwipNetifTest::netif_ = nullptr;

TEST_F(LwipNetifTest, AnswersArpRequestByteExact) {
  const Bytes req = arp_request();
  const ByteSpan in[] = {req};
  tap_->put(in);
  // The reply leaves when put() releases the core lock: no waiting needed.
  auto batches = recorder_->take();
  ASSERT_EQ(batches.size(), 1U);
  ASSERT_EQ(batches[0].size(), 1U);
  Bytes want;
  put(want, kPeerMac, 6);
  put(want, kOurMac, 6);
  put(want, {0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2});
  put(want, kOurMac, 6);
  put(want, kOurIp, 4);
  put(want, kPeerMac, 6);
  put(want, kPeerIp, 4);
  const Bytes& got = batches[0][0];
  ASSERT_GE(got.size(), want.size());
  EXPECT_TRUE(equal_bytes(ByteSpan(got).first(want.size()), want));
}

TEST_F(LwipNetifTest, RepliesToABatchOfPingsInOneTransmit) {
  const Bytes req = arp_request();  // teaches lwIP the peer's MAC
  const ByteSpan arp[] = {req};
  tap_->put(arp);
  recorder_->take();
  const Bytes p1 = ping(1), p2 = ping(2), p3 = ping(3);
  const ByteSpan in[] = {p1, p2, p3};
  tap_->put(in);
  auto batches = recorder_->take();
  ASSERT_EQ(batches.size(), 1U) << "replies to one put() leave in one transmit()";
  ASSERT_EQ(batches[0].size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    const Bytes& r = batches[0][i];
    ASSERT_EQ(r.size(), p1.size());
    EXPECT_EQ(std::to_integer<int>(r[14 + 20]), 0) << "ICMP echo reply";
    EXPECT_EQ(load_be16(std::span<const std::byte, 2>(r.data() + 14 + 20 + 6, 2)), i + 1) << "in order";
    EXPECT_TRUE(equal_bytes(ByteSpan(r).subspan(14 + 28), ByteSpan(p1).subspan(14 + 28)));
  }
}

TEST_F(LwipNetifTest, DropsAndCountsMalformedFramesAndSurvivesGarbage) {
  const auto before = netif_->stats();
  const Bytes runt(10, std::byte{1});
  const Bytes oversize(1500 + 14 + 1, std::byte{2});
  const ByteSpan bad[] = {runt, oversize};
  netif_->send_frames(bad);  // directly: the tap would already drop these
  EXPECT_EQ(netif_->stats().dropped_malformed, before.dropped_malformed + 2);

  std::mt19937 rng(42);
  std::vector<Bytes> garbage;
  for (int i = 0; i < 2000; ++i) {
    Bytes f(14 + rng() % 200);
    for (auto& b : f) b = std::byte(static_cast<unsigned char>(rng()));
    if (i % 3 == 0) {  // plausible headers with nonsense inside
      f[12] = std::byte{0x08};
      f[13] = std::byte{static_cast<unsigned char>(i % 2 == 0 ? 0x00 : 0x06)};
      if (f.size() > 14) f[14] = std::byte{0x45};
    } else if (i % 3 == 1) {
      f[12] = std::byte{0x86};
      f[13] = std::byte{0xdd};
      if (f.size() > 14) f[14] = std::byte{0x60};
    }
    garbage.push_back(std::move(f));
  }
  std::vector<ByteSpan> spans(garbage.begin(), garbage.end());
  tap_->put(spans);
  recorder_->take();
  // Still alive and answering.
  const Bytes req = arp_request();
  const ByteSpan in[] = {req};
  tap_->put(in);
  EXPECT_EQ(recorder_->take().size(), 1U);
}

}  // namespace
}  // namespace weft::stack::lwip
