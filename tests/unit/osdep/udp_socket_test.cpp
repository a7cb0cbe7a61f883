#include "osdep/udp_socket.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <vector>

#include "osdep/poller.hpp"

namespace weft::osdep {
namespace {

// Deterministic, distinct contents per datagram so reordering or mixing shows.
Bytes pattern(std::size_t size, std::size_t seed) {
  Bytes b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::byte>((i * 31 + seed * 7) & 0xff);
  return b;
}

struct Got {
  Endpoint from;
  Bytes data;
  bool truncated;
};

// Receives until `n` datagrams arrived. The generous wait only keeps a broken
// build from hanging; the tests assert on what arrives, never on time.
std::vector<Got> receive(UdpSocket& s, std::size_t n, std::size_t buffer_size = 65'536,
                         std::size_t* slots_used = nullptr) {
  std::size_t unused = 0;
  if (slots_used == nullptr) slots_used = &unused;
  auto poller = Poller::create();
  EXPECT_TRUE(poller.ok());
  EXPECT_TRUE(poller->add(s.fd(), 1).ok());
  std::vector<Bytes> buffers(UdpSocket::kMaxBatch, Bytes(buffer_size));
  std::vector<UdpSocket::RecvSlot> slots(UdpSocket::kMaxBatch);
  std::vector<Got> got;
  while (got.size() < n) {
    std::uint64_t tokens[1];
    auto ready = poller->wait(tokens, 10s);
    if (!ready.ok() || ready->count == 0) break;
    for (std::size_t i = 0; i < slots.size(); ++i) slots[i].buffer = buffers[i];
    auto r = s.recv_batch(slots);
    if (!r.ok()) {
      EXPECT_EQ(r.error(), Error::would_block);
      continue;
    }
    for (std::size_t i = 0; i < *r; ++i) {
      ++*slots_used;
      for (std::size_t k = 0; k < slots[i].segments(); ++k) {
        const ByteSpan seg = slots[i].segment(k);
        got.push_back({slots[i].from, Bytes(seg.begin(), seg.end()), slots[i].truncated});
      }
    }
  }
  return got;
}

void round_trip(const Endpoint& loopback) {
  auto a = UdpSocket::bind(loopback);
  auto b = UdpSocket::bind(loopback);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->local().port(), 0);
  EXPECT_NE(a->local().port(), b->local().port());
  EXPECT_EQ(a->local().with_port(0), loopback);

  std::vector<Bytes> payloads;
  std::vector<UdpSocket::SendItem> items;
  for (std::size_t i = 0; i < 64; ++i) payloads.push_back(pattern(1 + i * 23, i));
  for (const Bytes& p : payloads) items.push_back({p, b->local()});
  auto sent = a->send_batch(items);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*sent, 64U);
  EXPECT_EQ(a->stats().send_calls, 1U);

  auto got = receive(*b, 64);
  ASSERT_EQ(got.size(), 64U);
  for (std::size_t i = 0; i < 64; ++i) {
    EXPECT_EQ(got[i].from, a->local());
    EXPECT_EQ(got[i].data, payloads[i]) << i;
    EXPECT_FALSE(got[i].truncated);
  }
}

TEST(UdpSocket, Ipv4BatchRoundTripIsByteExact) { round_trip(Endpoint::loopback_v4()); }
TEST(UdpSocket, Ipv6BatchRoundTripIsByteExact) { round_trip(Endpoint::loopback_v6()); }

TEST(UdpSocket, EmptySocketWouldBlock) {
  auto s = UdpSocket::bind(Endpoint::loopback_v4());
  ASSERT_TRUE(s.ok());
  Bytes buf(100);
  UdpSocket::RecvSlot slot;
  slot.buffer = buf;
  auto r = s->recv_batch(std::span(&slot, 1));
  EXPECT_EQ(r.error(), Error::would_block);
}

// A receive offers the kernel a few slots first and the rest only when those
// came back full: a burst larger than the first offer still arrives whole,
// in order, and in calls of up to kMaxBatch.
TEST(UdpSocket, ABurstLargerThanTheFirstOfferIsReceivedWholeAndInOrder) {
  for (const std::size_t burst : {std::size_t{8}, std::size_t{9}, std::size_t{70}}) {
    SCOPED_TRACE(burst);
    auto a = UdpSocket::bind(Endpoint::loopback_v4());
    auto b = UdpSocket::bind(Endpoint::loopback_v4());
    ASSERT_TRUE(a.ok() && b.ok());
    std::vector<Bytes> sent;
    std::vector<UdpSocket::SendItem> items;
    for (std::size_t i = 0; i < burst; ++i) sent.push_back(pattern(100 + i, i));
    for (const auto& d : sent) items.push_back({d, b->local()});
    std::size_t queued = 0;
    while (queued < items.size()) {
      auto r = a->send_batch(std::span(items).subspan(queued));
      ASSERT_TRUE(r.ok());
      queued += *r;
    }
    std::vector<Bytes> buffers(UdpSocket::kMaxBatch, Bytes(2048));
    std::vector<UdpSocket::RecvSlot> slots(UdpSocket::kMaxBatch);
    for (std::size_t i = 0; i < slots.size(); ++i) slots[i].buffer = buffers[i];
    auto poller = Poller::create();
    ASSERT_TRUE(poller.ok() && poller->add(b->fd(), 1).ok());
    std::vector<Bytes> got;
    std::size_t largest = 0;
    while (got.size() < burst) {
      std::array<std::uint64_t, 1> tokens{};
      auto ready = poller->wait(tokens, std::chrono::seconds(10));
      ASSERT_TRUE(ready.ok() && ready->count == 1) << "lost after " << got.size();
      auto r = b->recv_batch(slots);
      if (!r.ok()) {
        ASSERT_EQ(r.error(), Error::would_block);
        continue;
      }
      largest = std::max(largest, *r);
      for (std::size_t i = 0; i < *r; ++i) {
        EXPECT_EQ(slots[i].from, a->local());
        got.emplace_back(slots[i].buffer.begin(), slots[i].buffer.begin() + slots[i].size);
      }
    }
    EXPECT_EQ(got, sent);
    // Loopback delivers within sendmmsg: the burst was waiting whole.
    EXPECT_EQ(largest, std::min(burst, UdpSocket::kMaxBatch));
    EXPECT_EQ(b->recv_batch(slots).error(), Error::would_block);
  }
}

TEST(UdpSocket, BindingABusyPortFails) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4());
  ASSERT_TRUE(a.ok());
  auto b = UdpSocket::bind(a->local());
  EXPECT_EQ(b.error(), Error::address_in_use);
}

TEST(UdpSocket, BuffersAreSizedForBursts) {
  auto s = UdpSocket::bind(Endpoint::loopback_v4());
  ASSERT_TRUE(s.ok());
  // The default request is 4 MiB; the kernel may cap it, but never below its
  // own default (over 200 KiB on Linux), so the request was at least tried.
  EXPECT_GE(s->buffer_sizes().receive, 200U * 1024U);
  EXPECT_GE(s->buffer_sizes().send, 200U * 1024U);
  auto small = UdpSocket::bind(Endpoint::loopback_v4(), {.buffer_bytes = 64 * 1024});
  ASSERT_TRUE(small.ok());
  EXPECT_LT(small->buffer_sizes().receive, s->buffer_sizes().receive);
}

TEST(UdpSocket, TruncatedDatagramIsReportedNotSilentlyCut) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4());
  auto b = UdpSocket::bind(Endpoint::loopback_v4());
  ASSERT_TRUE(a.ok() && b.ok());
  const Bytes big = pattern(100, 1);
  const Bytes fits = pattern(50, 2);
  const UdpSocket::SendItem items[] = {{big, b->local()}, {fits, b->local()}};
  ASSERT_EQ(a->send_batch(items).value_or(0), 2U);
  auto got = receive(*b, 2, 50);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_TRUE(got[0].truncated);
  EXPECT_EQ(got[0].data, Bytes(big.begin(), big.begin() + 50));
  EXPECT_FALSE(got[1].truncated);
  EXPECT_EQ(got[1].data, fits);
}

// 64 datagrams of one size plus a shorter tail: a GSO burst. The receiver has
// no GRO, so the kernel hands it the original datagrams.
std::vector<Bytes> burst_payloads() {
  std::vector<Bytes> p;
  for (std::size_t i = 0; i < 64; ++i) p.push_back(pattern(1514, i));
  p.push_back(pattern(700, 99));
  p.push_back(pattern(60, 100));  // a new run
  return p;
}

void expect_burst_delivered(UdpSocket& from, UdpSocket& to, const std::vector<Bytes>& payloads) {
  auto got = receive(to, payloads.size());
  ASSERT_EQ(got.size(), payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(got[i].from, from.local());
    EXPECT_EQ(got[i].data, payloads[i]) << i;
  }
}

void send_burst(UdpSocket& from, UdpSocket& to, const std::vector<Bytes>& payloads) {
  std::vector<ByteSpan> spans(payloads.begin(), payloads.end());
  auto sent = from.send_burst(to.local(), spans);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*sent, payloads.size());
}

TEST(UdpSocket, GsoBurstIsDeliveredByteExact) {
  for (const Endpoint& lo : {Endpoint::loopback_v4(), Endpoint::loopback_v6()}) {
    auto a = UdpSocket::bind(lo);
    auto b = UdpSocket::bind(lo);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(a->gso_enabled()) << "kernel without UDP GSO";
    const auto payloads = burst_payloads();
    send_burst(*a, *b, payloads);
    // Chunks of kMaxBatch: 64 x 1514 go as GSO messages of 42 (the 64 KiB
    // cap) and 22; then 700 + 60 (a shorter last segment) as a third.
    EXPECT_EQ(a->stats().gso_messages, 3U);
    EXPECT_EQ(a->stats().send_calls, 2U);
    EXPECT_EQ(a->stats().gso_refused, 0U);
    expect_burst_delivered(*a, *b, payloads);
  }
}

TEST(UdpSocket, BurstWithoutGsoUsesPlainSendmmsg) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4(), {.gso = false});
  auto b = UdpSocket::bind(Endpoint::loopback_v4());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->gso_enabled());
  const auto payloads = burst_payloads();
  send_burst(*a, *b, payloads);
  EXPECT_EQ(a->stats().gso_messages, 0U);
  EXPECT_EQ(a->stats().send_calls, 2U);  // 66 datagrams: 64 + 2
  expect_burst_delivered(*a, *b, payloads);
}

TEST(UdpSocket, KernelRefusingGsoFallsBackWithoutLoss) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4());
  auto b = UdpSocket::bind(Endpoint::loopback_v4());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->gso_enabled());
  // Without UDP checksums the kernel cannot segment (udp_send_skb: EINVAL):
  // a real refusal at send time, as a device without checksum offload gives.
  const int one = 1;
  ASSERT_EQ(::setsockopt(a->fd(), SOL_SOCKET, SO_NO_CHECK, &one, sizeof one), 0);
  const auto payloads = burst_payloads();
  send_burst(*a, *b, payloads);
  EXPECT_EQ(a->stats().gso_refused, 1U);
  EXPECT_EQ(a->stats().gso_messages, 0U);
  EXPECT_FALSE(a->gso_enabled());
  expect_burst_delivered(*a, *b, payloads);
}

TEST(UdpSocket, ADestinationTheKernelRefusesDoesNotSwitchGsoOff) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4());
  auto b = UdpSocket::bind(Endpoint::loopback_v4());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->gso_enabled());
  // Port 0 is refused with EINVAL, as a GSO refusal is: the plain resend
  // fails as well, so GSO was not the cause.
  const auto payloads = burst_payloads();
  std::vector<ByteSpan> spans(payloads.begin(), payloads.end());
  EXPECT_FALSE(a->send_burst(Endpoint::loopback_v4(0), spans).ok());
  EXPECT_TRUE(a->gso_enabled());
  EXPECT_EQ(a->stats().gso_refused, 0U);
  send_burst(*a, *b, payloads);
  EXPECT_GT(a->stats().gso_messages, 0U);
  expect_burst_delivered(*a, *b, payloads);
}

TEST(UdpSocket, GroReceiverGetsAGsoBurstCoalescedAndSplitsItByteExact) {
  for (const Endpoint& lo : {Endpoint::loopback_v4(), Endpoint::loopback_v6()}) {
    auto a = UdpSocket::bind(lo);
    auto b = UdpSocket::bind(lo, {.gro = true});
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(b->gro_enabled()) << "kernel without UDP GRO";
    std::vector<Bytes> payloads;
    for (std::size_t i = 0; i < 40; ++i) payloads.push_back(pattern(1000, i));
    payloads.push_back(pattern(300, 40));  // a shorter last segment
    send_burst(*a, *b, payloads);
    std::size_t slots = 0;
    auto got = receive(*b, payloads.size(), 65'536, &slots);
    ASSERT_EQ(got.size(), payloads.size());
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      EXPECT_EQ(got[i].from, a->local());
      EXPECT_EQ(got[i].data, payloads[i]) << i;
    }
    // One GSO message in, one coalesced buffer out.
    EXPECT_EQ(slots, 1U);
  }
}

TEST(UdpSocket, GroReceiverGetsSeparateDatagramsAsTheyWere) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4(), {.gso = false});
  auto b = UdpSocket::bind(Endpoint::loopback_v4(), {.gro = true});
  ASSERT_TRUE(a.ok() && b.ok());
  const auto payloads = burst_payloads();
  send_burst(*a, *b, payloads);
  std::size_t slots = 0;
  auto got = receive(*b, payloads.size(), 65'536, &slots);
  ASSERT_EQ(got.size(), payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) EXPECT_EQ(got[i].data, payloads[i]) << i;
  EXPECT_EQ(slots, payloads.size());
}

TEST(UdpSocket, GroRefusesBuffersThatCouldCutARun) {
  auto b = UdpSocket::bind(Endpoint::loopback_v4(), {.gro = true});
  ASSERT_TRUE(b.ok());
  Bytes small(1514);
  UdpSocket::RecvSlot slot;
  slot.buffer = small;
  EXPECT_EQ(b->recv_batch(std::span(&slot, 1)).error(), Error::invalid_argument);
}

TEST(UdpSocket, RecvSlotSplitsSegments) {
  Bytes buf(10);
  UdpSocket::RecvSlot s;
  s.buffer = buf;
  s.size = 7;
  EXPECT_EQ(s.segments(), 1U);
  EXPECT_EQ(s.segment(0).size(), 7U);
  s.segment_size = 3;
  ASSERT_EQ(s.segments(), 3U);
  EXPECT_EQ(s.segment(0).data(), buf.data());
  EXPECT_EQ(s.segment(1).data(), buf.data() + 3);
  EXPECT_EQ(s.segment(2).size(), 1U);
  s.size = 6;
  EXPECT_EQ(s.segments(), 2U);
  EXPECT_EQ(s.segment(1).size(), 3U);
}

TEST(UdpSocket, SendToUnreachableFamilyReportsTheError) {
  auto a = UdpSocket::bind(Endpoint::loopback_v4());
  ASSERT_TRUE(a.ok());
  const Bytes p = pattern(10, 0);
  const UdpSocket::SendItem items[] = {{p, Endpoint::loopback_v6(9)}};
  auto r = a->send_batch(items);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace weft::osdep
