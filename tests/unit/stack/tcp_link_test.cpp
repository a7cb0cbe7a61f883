// TCP on an lwIP netif whose tap carries only part of its MTU in one datagram
// (tap::Tap::unfragmented_mtu, as an overlay network's port does): a peer made
// of raw frames connects, and the test reads what lwIP sends back.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "stack/lwip/lwip_netif.hpp"
#include "stack/lwip/lwip_stack.hpp"
#include "tap/tap.hpp"
#include "unit/stack/raw_frames.hpp"
#include "wire/internet_checksum.hpp"

namespace weft::stack::lwip {
namespace {

constexpr std::size_t kMtu = 2800;
constexpr std::size_t kUnfragmented = 1344;
constexpr std::uint8_t kOurMac[6] = {0x02, 0, 0, 0, 0, 0x21};
constexpr std::uint8_t kPeerMac[6] = {0x02, 0, 0, 0, 0, 0x29};
constexpr std::uint8_t kOurIp[4] = {10, 21, 0, 1};
constexpr std::uint8_t kPeerIp[4] = {10, 21, 0, 99};
constexpr std::uint16_t kPort = 5000;
constexpr std::uint16_t kPeerPort = 40000;
constexpr std::uint32_t kPeerIss = 1000;

constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kAck = 0x10;
constexpr std::uint8_t kFin = 0x01;
constexpr std::uint8_t kRst = 0x04;
constexpr std::uint8_t kPsh = 0x08;

// What lwIP sent: IPv4 TCP segments to the peer, parsed.
struct Segment {
  std::size_t ip_length;
  std::uint32_t seq;
  std::uint32_t ack;
  std::uint8_t flags;
  std::uint16_t window;  // as on the wire, before scaling
  Bytes options;
  std::size_t payload;
};

bool seq_after(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) > 0; }

std::optional<Segment> parse(ByteSpan f) {
  if (f.size() < 14 + 20 + 20 || load_be16(f.subspan<12, 2>()) != 0x0800) return std::nullopt;
  const ByteSpan ip = f.subspan(14);
  const std::size_t ihl = (std::to_integer<std::size_t>(ip[0]) & 0x0FU) * 4;
  const std::size_t total = load_be16(ip.subspan<2, 2>());
  if (std::to_integer<int>(ip[9]) != 6 || total > ip.size() || total < ihl + 20)
    return std::nullopt;
  const ByteSpan tcp = ip.subspan(ihl, total - ihl);
  const std::size_t offset = (std::to_integer<std::size_t>(tcp[12]) >> 4U) * 4;
  if (offset < 20 || offset > tcp.size()) return std::nullopt;
  const ByteSpan options = tcp.subspan(20, offset - 20);
  return Segment{total,
                 load_be32(tcp.subspan<4, 4>()),
                 load_be32(tcp.subspan<8, 4>()),
                 std::to_integer<std::uint8_t>(tcp[13]),
                 load_be16(tcp.subspan<14, 2>()),
                 Bytes(options.begin(), options.end()),
                 tcp.size() - offset};
}

struct Recorder final : tap::FrameSink {
  void send_frames(std::span<const ByteSpan> batch) override {
    std::lock_guard lock(mu);
    for (ByteSpan f : batch)
      if (auto s = parse(f)) segments.push_back(*s);
  }
  std::vector<Segment> take() {
    std::lock_guard lock(mu);
    return std::exchange(segments, {});
  }
  std::mutex mu;
  std::vector<Segment> segments;
};

using test::append;

Bytes arp_request() { return test::arp_request(kPeerMac, kPeerIp, kOurIp); }

// A segment from the peer, checksums filled in.
Bytes peer_segment(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, std::uint16_t window,
                   std::initializer_list<std::uint8_t> options, ByteSpan payload = {}) {
  Bytes f;
  append(f, kOurMac, 6);
  append(f, kPeerMac, 6);
  append(f, {0x08, 0x00});
  const std::size_t ip = f.size();
  const std::size_t tcp_len = 20 + options.size() + payload.size();
  const auto total = static_cast<std::uint16_t>(20 + tcp_len);
  append(f, {0x45, 0, static_cast<std::uint8_t>(total >> 8U), static_cast<std::uint8_t>(total), 0,
             1, 0, 0, 64, 6, 0, 0});
  append(f, kPeerIp, 4);
  append(f, kOurIp, 4);
  store_be16(std::span<std::byte, 2>(f.data() + ip + 10, 2),
             wire::checksum_fold(wire::checksum_add(ByteSpan(f).subspan(ip, 20))));
  const std::size_t tcp = f.size();
  f.resize(tcp + 20);
  const MutableByteSpan h(f.data() + tcp, 20);
  store_be16(h.subspan<0, 2>(), kPeerPort);
  store_be16(h.subspan<2, 2>(), kPort);
  store_be32(h.subspan<4, 4>(), seq);
  store_be32(h.subspan<8, 4>(), ack);
  h[12] = std::byte{static_cast<std::uint8_t>(((20 + options.size()) / 4) << 4U)};
  h[13] = std::byte{flags};
  store_be16(h.subspan<14, 2>(), window);
  append(f, options);
  f.insert(f.end(), payload.begin(), payload.end());
  Bytes pseudo;
  append(pseudo, kPeerIp, 4);
  append(pseudo, kOurIp, 4);
  append(pseudo,
         {0, 6, static_cast<std::uint8_t>(tcp_len >> 8U), static_cast<std::uint8_t>(tcp_len)});
  const std::uint32_t sum =
      wire::checksum_add(ByteSpan(f).subspan(tcp), wire::checksum_add(pseudo));
  store_be16(std::span<std::byte, 2>(f.data() + tcp + 16, 2), wire::checksum_fold(sum));
  return f;
}

class TcpLinkTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    tap_ = new tap::Tap(Mac::from_bytes(as_bytes(kOurMac, 6).first<6>()), kMtu, kUnfragmented);
    recorder_ = new Recorder;
    tap_->attach_network(recorder_);
    NetifConfig c;
    c.ipv4 = IpAddress::v4(as_bytes(kOurIp, 4).first<4>());
    c.default_route = false;
    auto n = LwipNetif::attach(*tap_, c);
    ASSERT_TRUE(n.ok());
    netif_ = std::move(n).value().release();
    put(arp_request());  // the peer's MAC, so nothing waits on ARP
  }

  static void put_frame(const Bytes& frame) { put(frame); }
  static std::vector<Segment> sent() { return recorder_->take(); }

  static void put(const Bytes& frame) {
    const ByteSpan in[] = {frame};
    tap_->put(in);  // lwIP's answers leave before put() returns
  }

  // A listener, the peer's SYN (MSS 1460 and, if asked, window scale 7), the
  // handshake completed: the accepted connection and lwIP's SYN-ACK.
  struct Accepted {
    std::unique_ptr<Socket> listener;
    std::unique_ptr<Socket> socket;
    Segment syn_ack;
  };
  static Accepted accept_peer(bool window_scale) {
    Accepted a;
    auto l = LwipStack::instance().open(Transport::tcp, Family::v4);
    EXPECT_TRUE(l.ok());
    a.listener = std::move(*l);
    EXPECT_TRUE(a.listener->bind({IpAddress::v4(as_bytes(kOurIp, 4).first<4>()), kPort}).ok());
    EXPECT_TRUE(a.listener->listen(4).ok());
    recorder_->take();
    if (window_scale)
      put(peer_segment(kPeerIss, 0, kSyn, 65535, {2, 4, 0x05, 0xb4, 1, 3, 3, 7}));
    else
      put(peer_segment(kPeerIss, 0, kSyn, 65535, {2, 4, 0x05, 0xb4}));
    auto sent = recorder_->take();
    EXPECT_EQ(sent.size(), 1U);
    if (sent.empty()) return a;
    a.syn_ack = sent[0];
    EXPECT_EQ(a.syn_ack.flags, kSyn | kAck);
    put(peer_segment(kPeerIss + 1, a.syn_ack.seq + 1, kAck, 65535, {}));
    auto s = a.listener->accept(nullptr);
    EXPECT_TRUE(s.ok());
    if (s) a.socket = std::move(*s);
    return a;
  }

  static inline tap::Tap* tap_ = nullptr;
  static inline Recorder* recorder_ = nullptr;
  static inline LwipNetif* netif_ = nullptr;
};

TEST_F(TcpLinkTest, SegmentsFitWhatCrossesInOneDatagram) {
  Accepted a = accept_peer(true);
  ASSERT_NE(a.socket, nullptr);
  // lwIP offers the MSS of the link's whole MTU (capped by its compiled TCP_MSS):
  // the peer may send it full-size segments.
  ASSERT_GE(a.syn_ack.options.size(), 4U);
  EXPECT_EQ(std::to_integer<int>(a.syn_ack.options[0]), 2);
  EXPECT_EQ(load_be16(std::span<const std::byte, 2>(a.syn_ack.options.data() + 2, 2)), 1460);

  const Bytes data(20'000, std::byte{0x5a});
  auto n = a.socket->send(data);
  ASSERT_TRUE(n.ok());
  std::vector<Segment> sent;
  for (int i = 0; i < 200 && sent.empty(); ++i) {  // sent from the caller or lwIP's thread
    sent = recorder_->take();
    if (sent.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(sent.empty());
  for (const Segment& s : sent) {
    EXPECT_LE(s.ip_length, kUnfragmented);
    EXPECT_GT(s.payload, 0U);
  }
  EXPECT_EQ(sent[0].ip_length, kUnfragmented) << "full segments, just small enough";
  a.socket->abort();
}

// Nagle as Linux has it (Minshall): a short segment waits only while another
// short one is unacknowledged, and leaves on the ACK of that one even when a
// full segment is still unacknowledged (a receiver delaying that ACK would
// otherwise hold the stream for 250 ms). Inside lwIP's input processing
// tcp_output does nothing, so the rule must hold for what lwIP sends after it.
TEST_F(TcpLinkTest, NagleHoldsAShortSegmentOnlyWhileAnotherShortOneIsUnacknowledged) {
  Accepted a = accept_peer(true);
  ASSERT_NE(a.socket, nullptr);
  const std::uint32_t start = a.syn_ack.seq + 1;
  auto payloads = [] {
    std::vector<std::size_t> sizes;
    for (const Segment& s : TcpLinkTest::sent())
      if (s.payload > 0) sizes.push_back(s.payload);
    return sizes;
  };
  const std::size_t mss = kUnfragmented - 40;

  ASSERT_TRUE(a.socket->send(Bytes(100, std::byte{1})).ok());
  EXPECT_EQ(payloads(), std::vector<std::size_t>{100}) << "no short segment unacknowledged";
  ASSERT_TRUE(a.socket->send(Bytes(mss + 50, std::byte{2})).ok());
  EXPECT_EQ(payloads(), std::vector<std::size_t>{mss}) << "the 50-byte tail waits for the first";
  // The peer acknowledges the 100 bytes, not the full segment after them.
  put(peer_segment(kPeerIss + 1, start + 100, kAck, 65535, {}));
  EXPECT_EQ(payloads(), std::vector<std::size_t>{50}) << "the tail leaves on that ACK";
  a.socket->abort();
}

// A Waker whose thread counts as the one putting frames into the stack (a
// reader that receives for its link itself), or not.
struct ReaderWaker final : Waker {
  void wake() noexcept override {}
  [[nodiscard]] bool on_input_thread() const noexcept override { return on_input; }
  bool on_input{true};
};

// A short segment for a reader on the input thread is not acknowledged at once:
// the reader's answer carries the ACK, or, if it sleeps without answering,
// send_held_acks sends it alone. For any other reader it leaves at once.
TEST_F(TcpLinkTest, AReaderOnTheInputThreadHasItsAnswerCarryTheAck) {
  Accepted a = accept_peer(true);
  ASSERT_NE(a.socket, nullptr);
  ReaderWaker reader;
  a.socket->watch(&reader);
  const std::uint32_t ours = a.syn_ack.seq + 1;
  std::uint32_t theirs = kPeerIss + 1;
  const Bytes ping = {std::byte{'p'}, std::byte{'i'}, std::byte{'n'}, std::byte{'g'}};
  auto request = [&] {
    put(peer_segment(theirs, ours, kAck | kPsh, 65535, {}, ping));
    theirs += 4;
  };
  auto read_request = [&] {
    Bytes got(16);
    auto n = a.socket->recv(got, false, nullptr);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 4U);
  };

  request();
  EXPECT_TRUE(sent().empty()) << "the ACK waits for the answer";
  read_request();
  ASSERT_TRUE(a.socket->send(ping).ok());
  auto answer = sent();
  ASSERT_EQ(answer.size(), 1U);
  EXPECT_EQ(answer[0].payload, 4U);
  EXPECT_EQ(answer[0].ack, theirs) << "the answer acknowledges the request";
  LwipStack::instance().send_held_acks();
  EXPECT_TRUE(sent().empty()) << "nothing held any more";
  put(peer_segment(theirs, ours + 4, kAck, 65535, {}));  // the peer acknowledges the answer

  request();
  read_request();
  EXPECT_TRUE(sent().empty());
  LwipStack::instance().send_held_acks();  // the reader goes to sleep instead of answering
  auto alone = sent();
  ASSERT_EQ(alone.size(), 1U);
  EXPECT_EQ(alone[0].payload, 0U);
  EXPECT_EQ(alone[0].flags, kAck);
  EXPECT_EQ(alone[0].ack, theirs);

  reader.on_input = false;  // the reader is another thread than the input's
  request();
  read_request();
  auto at_once = sent();
  ASSERT_EQ(at_once.size(), 1U);
  EXPECT_EQ(at_once[0].payload, 0U);
  EXPECT_EQ(at_once[0].ack, theirs);

  // A held ACK of a socket that is closed goes with its FIN, and the closed
  // socket is no longer among those held (ASan would see a freed one read).
  reader.on_input = true;
  request();
  read_request();
  a.socket->unwatch(&reader);
  a.socket.reset();
  auto fin = sent();
  ASSERT_EQ(fin.size(), 1U);
  EXPECT_EQ(fin[0].flags, kFin | kAck);
  EXPECT_EQ(fin[0].ack, theirs);
  LwipStack::instance().send_held_acks();
  EXPECT_TRUE(sent().empty());
  put(peer_segment(theirs, 0, kRst, 0, {}));  // the next test's peer uses the same ports
}

// A connection not accepted yet has no reader: when its listener's acceptor
// is the thread putting frames in, what the client sent holds its ACK as for a
// reader there, until the server's first answer carries it (a connection's
// first request and response cross as two datagrams). The acceptor watching
// from another thread, or the connection accepted before its data came, with
// no reader of its own, leaves the ACK to go at once.
TEST_F(TcpLinkTest, AnAcceptorOnTheInputThreadHasTheFirstAnswerCarryTheAck) {
  auto l = LwipStack::instance().open(Transport::tcp, Family::v4);
  ASSERT_TRUE(l.ok());
  std::unique_ptr<Socket> listener = std::move(*l);
  ASSERT_TRUE(listener->bind({IpAddress::v4(as_bytes(kOurIp, 4).first<4>()), kPort}).ok());
  ASSERT_TRUE(listener->listen(4).ok());
  ReaderWaker acceptor;
  listener->watch(&acceptor);
  const Bytes ping = {std::byte{'p'}, std::byte{'i'}, std::byte{'n'}, std::byte{'g'}};
  const std::uint32_t after_ping = kPeerIss + 1 + 4;
  // The peer's handshake, its last segment carrying ping or not; returns the
  // server's next sequence number.
  auto handshake = [&](bool with_ping) -> std::uint32_t {
    sent();
    put(peer_segment(kPeerIss, 0, kSyn, 65535, {2, 4, 0x05, 0xb4}));
    auto syn_ack = sent();
    EXPECT_EQ(syn_ack.size(), 1U);
    if (syn_ack.empty()) return 0;
    const std::uint32_t ours = syn_ack[0].seq + 1;
    if (with_ping)
      put(peer_segment(kPeerIss + 1, ours, kAck | kPsh, 65535, {}, ping));
    else
      put(peer_segment(kPeerIss + 1, ours, kAck, 65535, {}));
    return ours;
  };
  auto accept_and_read = [&]() -> std::unique_ptr<Socket> {
    auto s = listener->accept(nullptr);
    EXPECT_TRUE(s.ok());
    if (!s) return nullptr;
    Bytes got(16);
    auto n = (*s)->recv(got, false, nullptr);
    EXPECT_TRUE(n.ok() && *n == 4U);
    return std::move(*s);
  };
  auto reset = [&] { put(peer_segment(after_ping, 0, kRst, 0, {})); };

  ASSERT_NE(handshake(true), 0U);
  EXPECT_TRUE(sent().empty()) << "the ACK waits for the acceptor";
  auto s = accept_and_read();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->send(ping).ok());
  auto answer = sent();
  ASSERT_EQ(answer.size(), 1U);
  EXPECT_EQ(answer[0].payload, 4U);
  EXPECT_EQ(answer[0].ack, after_ping) << "the answer acknowledges the request";
  LwipStack::instance().send_held_acks();
  EXPECT_TRUE(sent().empty()) << "nothing held any more";
  reset();

  acceptor.on_input = false;  // the acceptor waits on another thread
  ASSERT_NE(handshake(true), 0U);
  auto at_once = sent();
  ASSERT_EQ(at_once.size(), 1U);
  EXPECT_EQ(at_once[0].payload, 0U);
  EXPECT_EQ(at_once[0].ack, after_ping);
  EXPECT_NE(accept_and_read(), nullptr);
  reset();

  acceptor.on_input = true;  // accepted, then its data: the acceptor is no reader of it
  const std::uint32_t ours = handshake(false);
  ASSERT_NE(ours, 0U);
  auto accepted = listener->accept(nullptr);
  ASSERT_TRUE(accepted.ok());
  put(peer_segment(kPeerIss + 1, ours, kAck | kPsh, 65535, {}, ping));
  auto acked = sent();
  ASSERT_EQ(acked.size(), 1U);
  EXPECT_EQ(acked[0].ack, after_ping);
  reset();
  listener->unwatch(&acceptor);
}

// Loss recovery (NewReno, RFC 6582): after a fast retransmit, an ACK that
// covers the retransmitted segment but not all that was in flight shows the
// next hole, which is resent at once. lwIP 2.1 leaves recovery on any new ACK
// and waits for three more duplicates or its retransmission timer (one second
// or more) for the second loss of a window.
TEST_F(TcpLinkTest, APartialAckAfterAFastRetransmitResendsTheNextHoleAtOnce) {
  Accepted a = accept_peer(true);
  ASSERT_NE(a.socket, nullptr);
  const std::uint32_t start = a.syn_ack.seq + 1;
  const std::size_t mss = kUnfragmented - 40;
  auto data = [] {
    std::vector<Segment> d;
    for (const Segment& s : TcpLinkTest::sent())
      if (s.payload > 0) d.push_back(s);
    return d;
  };
  auto ack = [&](std::uint32_t ackno) { put(peer_segment(kPeerIss + 1, ackno, kAck, 65535, {})); };
  ASSERT_TRUE(a.socket->send(Bytes(100 * mss, std::byte{3})).ok());
  // Slow start: every segment acknowledged on its own, until a flight of 8.
  std::vector<Segment> flight = data();
  for (int round = 0; round < 10 && flight.size() < 8; ++round) {
    for (const Segment& s : flight) ack(s.seq + static_cast<std::uint32_t>(s.payload));
    flight = data();
  }
  ASSERT_GE(flight.size(), 8U);
  // Segments 0 and 2 are lost; 1, 3, 4 and 5 arrive, each answered with a
  // duplicate ACK for segment 0.
  for (int i = 0; i < 4; ++i) ack(flight[0].seq);
  std::vector<Segment> resent = data();
  auto has = [](const std::vector<Segment>& v, std::uint32_t seq) {
    return std::any_of(v.begin(), v.end(), [&](const Segment& s) { return s.seq == seq; });
  };
  ASSERT_TRUE(has(resent, flight[0].seq)) << "fast retransmit after three duplicates";
  // Segment 0 arrives again: the receiver now holds 0 and 1 and acknowledges up
  // to the hole at 2.
  ack(flight[2].seq);
  const std::vector<Segment> after_partial = data();
  EXPECT_TRUE(has(after_partial, flight[2].seq)) << "the next hole is resent on the partial ACK";
  for (std::size_t i = 3; i < flight.size(); ++i)
    EXPECT_FALSE(has(after_partial, flight[i].seq)) << "segment " << i << " arrived: not resent";
  // Everything in flight acknowledged: recovery is over, and what follows is new data.
  std::uint32_t top = start;
  for (const std::vector<Segment>& batch : {flight, resent, after_partial})
    for (const Segment& s : batch)
      if (seq_after(s.seq + static_cast<std::uint32_t>(s.payload), top))
        top = s.seq + static_cast<std::uint32_t>(s.payload);
  ack(top);
  for (const Segment& s : data()) EXPECT_FALSE(seq_after(top, s.seq)) << "resent " << s.seq;
  a.socket->abort();
}

// The peer sends `total` bytes in 1,000-byte segments. Returns lwIP's last ACK
// (how much it acknowledged, and the window it advertised, unscaled) and how
// many bytes the application then reads, checked byte for byte.
struct BlastResult {
  std::size_t acked;
  std::uint16_t window_field;
  std::size_t read;
};
BlastResult blast(TcpLinkTest::Accepted& a, std::size_t total);

TEST_F(TcpLinkTest, WithWindowScalingTheWindowIsTwice64KiB) {
  Accepted a = accept_peer(true);
  ASSERT_NE(a.socket, nullptr);
  EXPECT_EQ(a.syn_ack.window, 65535) << "a SYN's window is never scaled";
  const BlastResult r = blast(a, 10'000);
  EXPECT_EQ(r.acked, 10'000U);
  EXPECT_EQ(r.read, 10'000U);
  // Shift 1 (lwIP's TCP_RCV_SCALE): 131,070 bytes, less at most the last
  // segment's until its window is given back. lwIP's own 64 KiB would be 32,767.
  EXPECT_GE(r.window_field * 2U, 131'070U - 1'000U);
}

TEST_F(TcpLinkTest, WithoutWindowScalingTheWindowIs64KiB) {
  Accepted a = accept_peer(false);
  ASSERT_NE(a.socket, nullptr);
  const BlastResult r = blast(a, 10'000);
  EXPECT_EQ(r.acked, 10'000U);
  EXPECT_EQ(r.read, 10'000U);
  EXPECT_EQ(r.window_field, 65535) << "unscaled: 64 KiB";
}

BlastResult blast(TcpLinkTest::Accepted& a, std::size_t total) {
  const std::uint32_t start = kPeerIss + 1;
  std::vector<Bytes> frames;
  for (std::size_t off = 0; off < total; off += 1000) {
    Bytes payload(std::min<std::size_t>(1000, total - off));
    for (std::size_t i = 0; i < payload.size(); ++i)
      payload[i] = std::byte{static_cast<std::uint8_t>((off + i) % 251)};
    frames.push_back(peer_segment(start + static_cast<std::uint32_t>(off), a.syn_ack.seq + 1, kAck,
                                  65535, {}, payload));
  }
  for (const Bytes& f : frames) TcpLinkTest::put_frame(f);
  BlastResult r{0, 0, 0};
  for (const Segment& s : TcpLinkTest::sent()) {
    if ((s.flags & kAck) == 0 || s.ack - start < r.acked) continue;
    r.acked = s.ack - start;
    r.window_field = s.window;
  }
  std::size_t read = 0;
  Bytes buffer(200'000);
  for (;;) {
    auto n = a.socket->recv(MutableByteSpan(buffer).subspan(read), false, nullptr);
    if (!n || *n == 0) break;
    read += *n;
  }
  for (std::size_t i = 0; i < read; ++i)
    if (buffer[i] != std::byte{static_cast<std::uint8_t>(i % 251)}) {
      ADD_FAILURE() << "byte " << i << " differs";
      break;
    }
  a.socket->abort();
  r.read = read;
  return r;
}

}  // namespace
}  // namespace weft::stack::lwip
