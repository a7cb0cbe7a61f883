// A root (RootService) and two nodes (runtime::WireNode) in one process on
// loopback: the runtime's threads under real sockets, for the sanitizers.

#include "runtime/wire_node.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/wire_endpoint.hpp"
#include "service/root_service.hpp"
#include "unit/fixtures/identities.hpp"

namespace weft::service {
namespace {

using namespace std::chrono_literals;

class Collector final : public runtime::WireNodeObserver {
 public:
  void on_frames(std::span<const runtime::PeerFrame> frames) override {
    std::lock_guard lock(mu_);
    for (const auto& f : frames) frames_.push_back({f.from, Bytes(f.frame.begin(), f.frame.end())});
    cv_.notify_all();
  }
  void on_event(const node::NodeEvent& e) override {
    std::lock_guard lock(mu_);
    events_.push_back(e.kind);
    cv_.notify_all();
  }
  template <typename Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 20s, [&] { return pred(); });
  }
  bool saw(node::NodeEvent::Kind k) {
    return std::find(events_.begin(), events_.end(), k) != events_.end();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<NodeId, Bytes>> frames_;
  std::vector<node::NodeEvent::Kind> events_;
};

Bytes frame_of(int thread, int i) {
  Bytes b(64 + (i % 3) * 700);
  for (std::size_t k = 0; k < b.size(); ++k) b[k] = static_cast<std::byte>(thread * 31 + i + k);
  b[0] = static_cast<std::byte>(thread);
  b[1] = static_cast<std::byte>(i >> 8);
  b[2] = static_cast<std::byte>(i);
  return b;
}

TEST(WireNodeTest, TwoNodesThroughARootFromManyThreads) {
  auto root = RootService::open(crypto::Identity::parse(testing::kMallorySecret).value(),
                                osdep::Endpoint::loopback_v4(0));
  ASSERT_TRUE(root);
  ASSERT_TRUE((*root)->start());
  runtime::WireNodeConfig config;
  config.node.roots.push_back({(*root)->public_identity(), {*runtime::to_wire((*root)->local())}});

  auto a = runtime::WireNode::open(crypto::Identity::parse(testing::kAliceSecret).value(), config);
  auto b = runtime::WireNode::open(crypto::Identity::parse(testing::kBobSecret).value(), config);
  ASSERT_TRUE(a && b);
  Collector at_a, at_b;
  ASSERT_TRUE((*a)->start(at_a));
  ASSERT_TRUE((*b)->start(at_b));
  EXPECT_EQ((*a)->start(at_a).error(), Error::invalid_state);
  ASSERT_TRUE(at_a.wait([&] { return at_a.saw(node::NodeEvent::Kind::root_registered); }));
  ASSERT_TRUE(at_b.wait([&] { return at_b.saw(node::NodeEvent::Kind::root_registered); }));

  // The first frame waits while A looks B up and they handshake.
  const NodeId to_b = (*b)->address();
  ASSERT_TRUE((*a)->send_frame(to_b, frame_of(9, 0)));
  ASSERT_TRUE(at_b.wait([&] { return at_b.frames_.size() == 1; }));
  EXPECT_EQ((*a)->route(to_b).kind, node::Route::Kind::direct);

  // Then three threads send at once, while B's I/O thread receives and the
  // test reads statistics.
  constexpr int kThreads = 3;
  constexpr int kFrames = 200;
  // A window of frames in flight: UDP drops what the receiver cannot queue,
  // and this test is about threads, not loss.
  constexpr std::size_t kWindow = 150;
  std::atomic<std::size_t> sent{1};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kFrames; ++i) {
        EXPECT_TRUE(at_b.wait([&] { return at_b.frames_.size() + kWindow > sent.load(); }));
        ++sent;
        EXPECT_TRUE((*a)->send_frame(to_b, frame_of(t, i)));
      }
    });
  }
  for (int i = 0; i < 10; ++i) {
    (void)(*a)->stats();
    (void)(*a)->peer_stats();
    (void)(*b)->peer_stats();
  }
  for (auto& s : senders) s.join();
  ASSERT_TRUE(at_b.wait([&] { return at_b.frames_.size() == 1 + kThreads * kFrames; }))
      << "received " << at_b.frames_.size();

  // Every frame exactly once and intact; each thread's frames in its order.
  std::map<int, int> next;
  for (std::size_t k = 1; k < at_b.frames_.size(); ++k) {
    const auto& [from, f] = at_b.frames_[k];
    EXPECT_EQ(from, (*a)->address());
    const int t = std::to_integer<int>(f[0]);
    const int i = std::to_integer<int>(f[1]) << 8 | std::to_integer<int>(f[2]);
    EXPECT_EQ(f, frame_of(t, i));
    EXPECT_EQ(i, next[t]++);
  }

  // Each side counted every frame once, byte for byte. B's snapshot first: it
  // cannot have received a datagram that A's later one does not count as sent.
  std::uint64_t frame_bytes = frame_of(9, 0).size();
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kFrames; ++i) frame_bytes += frame_of(t, i).size();
  const auto b_stats = (*b)->peer_stats();
  const auto a_stats = (*a)->peer_stats();
  const auto find = [](const std::vector<node::PeerStats>& v, NodeId id) {
    return std::find_if(v.begin(), v.end(), [&](const auto& s) { return s.peer == id; });
  };
  const auto ab = find(a_stats, to_b);
  const auto ba = find(b_stats, (*a)->address());
  ASSERT_NE(ab, a_stats.end());
  ASSERT_NE(ba, b_stats.end());
  EXPECT_EQ(ab->traffic.frames_sent, 1U + kThreads * kFrames);
  EXPECT_EQ(ab->traffic.frame_bytes_sent, frame_bytes);
  EXPECT_EQ(ba->traffic.frames_received, 1U + kThreads * kFrames);
  EXPECT_EQ(ba->traffic.frame_bytes_received, frame_bytes);
  EXPECT_GE(ab->traffic.datagrams_sent, ab->traffic.frames_sent);  // some were fragmented
  EXPECT_LE(ba->traffic.datagrams_received, ab->traffic.datagrams_sent);
  EXPECT_GT(ba->traffic.bytes_received, frame_bytes);
  EXPECT_EQ(ab->route.kind, node::Route::Kind::direct);
  EXPECT_TRUE(ab->session);
  ASSERT_FALSE(a_stats.empty());
  EXPECT_TRUE(a_stats.front().root);
  EXPECT_EQ(a_stats.front().peer, (*root)->public_identity().address());

  // And back.
  ASSERT_TRUE((*b)->send_frame((*a)->address(), frame_of(7, 7)));
  ASSERT_TRUE(at_a.wait([&] { return at_a.frames_.size() == 1; }));
  EXPECT_EQ(at_a.frames_[0].second, frame_of(7, 7));

  (*a)->stop();
  EXPECT_EQ((*a)->send_frame(to_b, frame_of(1, 1)).error(), Error::invalid_state);
  (*b)->stop();
  (*root)->stop();
  EXPECT_EQ((*root)->stats().root.registrations_accepted, 2U);
}

TEST(WireNodeTest, AFrameForNobodyIsRefusedOrDroppedNeverQueuedForever) {
  runtime::WireNodeConfig config;  // no roots: nobody can be looked up
  auto a = runtime::WireNode::open(crypto::Identity::parse(testing::kAliceSecret).value(), config);
  ASSERT_TRUE(a);
  Collector events;
  ASSERT_TRUE((*a)->start(events));
  const NodeId nobody = testing::bob().address();
  EXPECT_EQ((*a)->send_frame(nobody, {}).error(), Error::invalid_argument);
  EXPECT_EQ((*a)->send_frame((*a)->address(), frame_of(0, 0)).error(), Error::invalid_argument);
  for (std::size_t i = 0; i < 64; ++i) EXPECT_TRUE((*a)->send_frame(nobody, frame_of(0, 1)));
  EXPECT_EQ((*a)->send_frame(nobody, frame_of(0, 1)).error(), Error::no_buffer);
}

}  // namespace
}  // namespace weft::service
