// VL1 between real processes on loopback: a root (weftd --root) and two nodes
// (weft-wirenode). Frames cross byte-exact, and a capture of the loopback
// traffic shows none of their plaintext.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "base/clock.hpp"
#include "base/hex.hpp"
#include "crypto/rng.hpp"
#include "integration/child_process.hpp"
#include "osdep/files.hpp"
#include "osdep/poller.hpp"
#include "osdep/udp_socket.hpp"
#include "peer/session_table.hpp"
#include "runtime/wire_endpoint.hpp"
#include "unit/fixtures/identities.hpp"
#include "wire/frame.hpp"
#include "wire/registration.hpp"

namespace weft::integration {
namespace {

namespace fs = std::filesystem;

std::string node_stats(ChildProcess& p) {
  p.write_line("stats");
  return expect_line(p, "stats ");
}

std::string port_of(const std::string& endpoint) {
  return endpoint.substr(endpoint.rfind(':') + 1);
}

struct Node {
  std::unique_ptr<ChildProcess> process;
  std::string address;
  std::string endpoint;
};

class WireProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-wire-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = ChildProcess::spawn(
        {WEFT_WEFTD_PATH, "--root", "--state", dir_ + "/root", "--listen", "127.0.0.1:0"});
    ASSERT_NE(root_, nullptr);
    const auto w = words(expect_line(*root_, "root "));
    ASSERT_EQ(w.size(), 2U);
    root_line_ = w[1];
    root_port_ = port_of(root_line_);
  }

  void TearDown() override {
    for (auto* n : {&a_, &b_}) n->process.reset();
    if (root_) root_->terminate();
    root_.reset();
    if (std::getenv("WEFT_KEEP") == nullptr) fs::remove_all(dir_);
  }

  Node start_node(const std::string& name) {
    Node n;
    n.process = ChildProcess::spawn({WEFT_WIRENODE_PATH, "--state", dir_ + "/" + name, "--root",
                                     root_line_, "--listen", "127.0.0.1:0"});
    if (!n.process) return n;
    const auto w = words(expect_line(*n.process, "node "));
    if (w.size() == 3) {
      n.address = w[1];
      n.endpoint = w[2];
    }
    return n;
  }

  // A and B, registered with the root, and a first frame from A to B (which
  // waits, bounded, while A looks B up and they handshake).
  void start_pair() {
    a_ = start_node("a");
    b_ = start_node("b");
    ASSERT_FALSE(a_.address.empty());
    ASSERT_FALSE(b_.address.empty());
    ASSERT_FALSE(expect_line(*a_.process, "event root_registered").empty());
    ASSERT_FALSE(expect_line(*b_.process, "event root_registered").empty());
    ASSERT_TRUE(a_.process->write_line("send " + b_.address + " 00"));
    ASSERT_EQ(expect_line(*b_.process, "frame "), "frame " + a_.address + " 00");
  }

  std::string dir_;
  std::unique_ptr<ChildProcess> root_;
  std::string root_line_;
  std::string root_port_;
  Node a_;
  Node b_;
};

// Frames of many sizes, fragmented ones among them, with contents no
// ciphertext would contain by chance.
std::vector<Bytes> make_frames(std::size_t count, std::uint32_t seed) {
  const std::size_t sizes[] = {1, 60, 1000, 1400, 1500, 3000, 9000};
  std::mt19937 rng(seed);
  std::vector<Bytes> frames;
  for (std::size_t i = 0; i < count; ++i) {
    Bytes f(sizes[i % std::size(sizes)]);
    for (auto& b : f) b = static_cast<std::byte>(rng());
    // A first byte in 0x20..0x2f would make it a VL2 message (docs/vnet.md §3);
    // these travel the raw peer-to-peer channel.
    f[0] = std::byte{0x7e};
    frames.push_back(std::move(f));
  }
  return frames;
}

// tshark on the loopback interface, writing classic pcap. Needs capture rights
// (root or CAP_NET_RAW); nullptr when it cannot start. Returns once the
// capture provably runs: it printed a marker datagram sent to `marker_port`.
std::unique_ptr<ChildProcess> start_capture(const std::string& file, const std::string& filter,
                                            std::uint16_t marker_port) {
  const std::string cmd =
      "exec tshark -l -P -B 64 -i lo -F pcap -f '" + filter + "' -w " + file + " 2>&1";
  auto p = ChildProcess::spawn({"/bin/sh", "-c", cmd});
  if (!p || expect_line(*p, "Capturing on").empty()) return nullptr;
  std::atomic<bool> seen{false};
  std::thread marker([&] {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(marker_port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (!seen.load()) {
      (void)::sendto(fd, "m", 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::close(fd);
  });
  const bool ok = !expect_line(*p, "    1 ").empty();
  seen.store(true);
  marker.join();
  return ok ? std::move(p) : nullptr;
}

// Bytes of packet data in a classic pcap file; -1 if it is not one.
long pcap_bytes(const Bytes& file) {
  if (file.size() < 24) return -1;
  long n = 0;
  std::size_t off = 24;
  while (off + 16 <= file.size()) {
    std::uint32_t incl = 0;
    for (int i = 3; i >= 0; --i)
      incl = incl << 8U | std::to_integer<std::uint32_t>(file[off + 8 + i]);
    off += 16 + incl;
    n += incl;
  }
  return n;
}

TEST_F(WireProcessTest, FramesCrossByteExactAndEncrypted) {
  ASSERT_NO_FATAL_FAILURE(start_pair());

  const std::string pcap = dir_ + "/lo.pcap";
  // Marker datagrams go to the root, which drops them as malformed.
  auto capture = start_capture(pcap,
                               "udp and (port " + root_port_ + " or port " + port_of(a_.endpoint) +
                                   " or port " + port_of(b_.endpoint) + ")",
                               static_cast<std::uint16_t>(std::stoi(root_port_)));
  if (!capture) GTEST_SKIP() << "tshark cannot capture on lo here (needs CAP_NET_RAW)";

  const auto a_to_b = make_frames(140, 1);
  const auto b_to_a = make_frames(14, 2);
  // Byte-exact, each exactly once (loopback may not reorder, but nothing here
  // relies on it). Ten frames at a time: VL1 is a datagram service, and a
  // receiver descheduled on a loaded machine drops what overflows its socket
  // buffer, as UDP does; this test is about what arrives, not about loss.
  auto transfer = [](ChildProcess& from, ChildProcess& to, const std::string& from_address,
                     const std::string& to_address, const std::vector<Bytes>& frames) {
    constexpr std::size_t kWindow = 10;
    std::multiset<std::string> sent;
    std::multiset<std::string> got;
    for (std::size_t i = 0; i < frames.size(); i += kWindow) {
      const std::size_t end = std::min(frames.size(), i + kWindow);
      for (std::size_t k = i; k < end; ++k) {
        sent.insert(to_hex(frames[k]));
        from.write_line("send " + to_address + " " + to_hex(frames[k]));
      }
      while (got.size() < end) {
        const auto w = words(expect_line(to, "frame "));
        if (w.size() != 3) {
          ADD_FAILURE() << got.size() << " of " << end << " frames arrived; sender "
                        << node_stats(from) << "; receiver " << node_stats(to);
          return;
        }
        EXPECT_EQ(w[1], from_address);
        got.insert(w[2]);
      }
    }
    EXPECT_EQ(got, sent);
  };
  transfer(*a_.process, *b_.process, a_.address, b_.address, a_to_b);
  transfer(*b_.process, *a_.process, b_.address, a_.address, b_to_a);

  // The nodes found each other through the root and talk directly.
  a_.process->write_line("stats");
  const auto stats = expect_line(*a_.process, "stats ");
  EXPECT_NE(stats.find("direct_sent="), std::string::npos);
  EXPECT_EQ(stats.find("direct_sent=0 "), std::string::npos) << stats;

  // SIGINT, as Ctrl-C: tshark writes out what it captured before it exits.
  capture->terminate(SIGINT);
  std::ifstream in(pcap, std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes file(raw.size());
  std::transform(raw.begin(), raw.end(), file.begin(),
                 [](char c) { return static_cast<std::byte>(c); });
  // The capture saw the traffic (not necessarily all of it: with UDP GSO on
  // loopback it holds about 70% of the frames' bytes, a gap not yet
  // understood; see the issue notes)...
  long frame_bytes = 0;
  for (const auto* set : {&a_to_b, &b_to_a})
    for (const auto& f : *set) frame_bytes += static_cast<long>(f.size());
  EXPECT_GE(pcap_bytes(file), frame_bytes / 2);
  // ...and no 16-byte run of any frame's plaintext is in it.
  std::unordered_set<std::string_view> windows;
  for (std::size_t off = 0; off + 16 <= raw.size(); ++off)
    windows.insert(std::string_view(raw).substr(off, 16));
  for (const auto* set : {&a_to_b, &b_to_a}) {
    for (const auto& f : *set) {
      for (std::size_t off = 0; off + 16 <= f.size(); off += 16) {
        const std::string_view run(reinterpret_cast<const char*>(f.data()) + off, 16);
        ASSERT_FALSE(windows.contains(run)) << "plaintext of a " << f.size()
                                            << "-byte frame at offset " << off << " is on the wire";
      }
    }
  }
}

// ---- hostile peers

// A peer driven by hand over a real UDP socket: the test decides what it sends,
// byte for byte, so it can tamper, replay and lie.
class RawPeer {
 public:
  explicit RawPeer(const crypto::Identity& self,
                   const osdep::Endpoint& bind = osdep::Endpoint::loopback_v4(0))
      : self_(self),
        table_(self, rng_, config()),
        socket_(osdep::UdpSocket::bind(bind).value()),
        poller_(osdep::Poller::create().value()) {
    (void)poller_.add(socket_.fd(), 1);
  }

  // Handshakes with `peer` at `at`; false if nothing answered within 10 s.
  bool handshake(const crypto::PublicIdentity& peer, const osdep::Endpoint& at) {
    (void)table_.add_peer(peer);
    std::vector<peer::Outgoing> out;
    (void)table_.initiate(clock_.now(), peer.address(), out);
    for (const auto& o : out) send_raw(o.datagram, at);
    for (int i = 0; i < 100 && !table_.has_session(peer.address()); ++i) receive(100ms);
    return table_.has_session(peer.address());
  }

  // Sends one initiation and waits for nothing.
  void handshake_once(const crypto::PublicIdentity& peer, const osdep::Endpoint& at) {
    (void)table_.add_peer(peer);
    std::vector<peer::Outgoing> out;
    (void)table_.initiate(clock_.now(), peer.address(), out);
    for (const auto& o : out) send_raw(o.datagram, at);
  }

  // The datagrams carrying one inner message, sealed but not sent.
  std::vector<Bytes> seal(NodeId peer, ByteSpan inner) {
    std::vector<peer::Outgoing> out;
    (void)table_.send(clock_.now(), peer, inner, out);
    std::vector<Bytes> d;
    for (auto& o : out) d.push_back(std::move(o.datagram));
    return d;
  }

  void send_raw(ByteSpan datagram, const osdep::Endpoint& to) {
    const osdep::UdpSocket::SendItem item{datagram, to};
    (void)socket_.send_batch(std::span(&item, 1));
  }

  // Processes what arrives within `timeout` (answers go back where they came from).
  void receive(Duration timeout) {
    std::array<std::uint64_t, 1> t{};
    auto ready = poller_.wait(t, timeout);
    if (!ready || ready->count == 0) return;
    Bytes buf(2048);
    std::array<osdep::UdpSocket::RecvSlot, 1> slot{};
    slot[0].buffer = buf;
    auto n = socket_.recv_batch(slot);
    if (!n || *n == 0) return;
    std::vector<peer::Outgoing> out;
    const auto from = runtime::to_wire(slot[0].from);
    if (!from) return;
    (void)table_.receive(clock_.now(), *from, ByteSpan(buf).first(slot[0].size), out);
    for (const auto& o : out) send_raw(o.datagram, slot[0].from);
  }

 private:
  static peer::SessionTableConfig config() {
    peer::SessionTableConfig c;
    return c;
  }

  const crypto::Identity& self_;
  SteadyClock clock_;
  crypto::SystemRng rng_;
  peer::SessionTable table_;
  osdep::UdpSocket socket_;
  osdep::Poller poller_;
};

Bytes frame_message(ByteSpan payload) {
  Bytes inner(wire::FrameHeader::buffer_len() + payload.size());
  wire::FrameHeader::emit(inner);
  std::copy(payload.begin(), payload.end(), inner.begin() + wire::FrameHeader::buffer_len());
  return inner;
}

// "key=value" from a stats line; -1 if absent.
long stat(const std::string& line, const std::string& key) {
  const auto at = line.find(" " + key + "=");
  if (at == std::string::npos) return -1;
  return std::stol(line.substr(at + key.size() + 2));
}

crypto::PublicIdentity public_identity_in(const std::string& state_dir) {
  return crypto::PublicIdentity::parse(osdep::read_file(state_dir + "/identity.public").value())
      .value();
}

TEST_F(WireProcessTest, HostileDatagramsAreRejectedCountedAndHarmless) {
  ASSERT_NO_FATAL_FAILURE(start_pair());

  const auto b_identity = public_identity_in(dir_ + "/b");
  const auto b_endpoint = osdep::Endpoint::parse(b_.endpoint).value();
  const std::string mallory = testing::mallory().address().to_string();

  // Mallory may talk to B (anyone may handshake; membership is VL2's business)...
  RawPeer m(testing::mallory());
  ASSERT_TRUE(m.handshake(b_identity, b_endpoint));
  const Bytes payload{std::byte{0xab}, std::byte{0xcd}};
  auto sealed = m.seal(b_identity.address(), frame_message(payload));
  ASSERT_EQ(sealed.size(), 1U);
  // ...but a tampered datagram is rejected, the genuine one delivered once,
  // and its replay dropped.
  Bytes tampered = sealed[0];
  tampered.back() ^= std::byte{1};
  const std::string before = node_stats(*b_.process);
  m.send_raw(tampered, b_endpoint);
  m.send_raw(sealed[0], b_endpoint);
  m.send_raw(sealed[0], b_endpoint);
  EXPECT_EQ(expect_line(*b_.process, "frame "), "frame " + mallory + " abcd");

  // A data datagram for a session that does not exist (an unknown key).
  Bytes unknown = sealed[0];
  unknown[4] ^= std::byte{0x5a};  // the receiver index
  m.send_raw(unknown, b_endpoint);

  // A handshake made for another static key than B's.
  RawPeer wrong(testing::mallory());
  crypto::PublicIdentity not_b = testing::alice().public_identity();
  wrong.handshake_once(not_b, b_endpoint);

  // Truncated and garbage datagrams.
  for (std::size_t n : {0, 1, 3, 15, 31, 47})
    m.send_raw(ByteSpan(sealed[0]).first(std::min(n, sealed[0].size())), b_endpoint);

  // Legitimate traffic continues, and every hostile datagram was counted.
  ASSERT_TRUE(a_.process->write_line("send " + b_.address + " 0102"));
  ASSERT_EQ(expect_line(*b_.process, "frame "), "frame " + a_.address + " 0102");
  const std::string after = node_stats(*b_.process);
  EXPECT_GE(stat(after, "data_rejected") - stat(before, "data_rejected"), 1) << after;
  EXPECT_GE(stat(after, "data_replayed") - stat(before, "data_replayed"), 1) << after;
  EXPECT_GE(stat(after, "unknown_index") - stat(before, "unknown_index"), 1) << after;
  EXPECT_GE(stat(after, "mac_rejected") - stat(before, "mac_rejected"), 1) << after;
  EXPECT_GE(stat(after, "malformed") - stat(before, "malformed"), 1) << after;
}

TEST_F(WireProcessTest, NobodyRegistersAnotherNodesAddress) {
  a_ = start_node("a");
  ASSERT_FALSE(expect_line(*a_.process, "event root_registered").empty());
  const auto root_at = root_line_.rfind('@');
  const auto root_identity = crypto::PublicIdentity::parse(root_line_.substr(0, root_at)).value();
  const auto root_endpoint = osdep::Endpoint::parse(root_line_.substr(root_at + 1)).value();

  // Mallory registers A's address with her own keys, properly signed by her.
  RawPeer m(testing::mallory());
  ASSERT_TRUE(m.handshake(root_identity, root_endpoint));
  wire::Registration reg{1,
                         wire::PeerRecord{NodeId::parse(a_.address).value(),
                                          testing::mallory().public_identity().signing_key(),
                                          testing::mallory().public_identity().agreement_key(),
                                          {}},
                         {}};
  reg.signature = testing::mallory().sign(reg.signing_input());
  Bytes inner(reg.buffer_len());
  reg.emit(inner);
  for (const auto& d : m.seal(root_identity.address(), inner)) m.send_raw(d, root_endpoint);

  // A node that starts afterwards still finds the real A through the root.
  b_ = start_node("b");
  ASSERT_FALSE(expect_line(*b_.process, "event root_registered").empty());
  ASSERT_TRUE(b_.process->write_line("send " + a_.address + " 77"));
  EXPECT_EQ(expect_line(*a_.process, "frame "), "frame " + b_.address + " 77");

  a_.process.reset();
  b_.process.reset();
  root_->terminate();
  const std::string stats = expect_line(*root_, "stats ");
  root_.reset();
  EXPECT_GE(stat(stats, "registrations_rejected"), 1) << stats;
  EXPECT_EQ(stat(stats, "registrations_accepted"), 2) << stats;
}

TEST_F(WireProcessTest, AHandshakeFloodFromTenThousandSourcesCostsBoundedWork) {
  ASSERT_NO_FATAL_FAILURE(start_pair());
  const auto b_identity = public_identity_in(dir_ + "/b");
  const auto b_endpoint = osdep::Endpoint::parse(b_.endpoint).value();

  // One initiation each from 10,000 loopback addresses (127.1.0.1 ...), as a
  // spoofing attacker would send them.
  constexpr int kSources = 10'000;
  const std::string before = node_stats(*b_.process);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kSources; ++i) {
    const auto src = osdep::Endpoint::v4(
        {127, 1, static_cast<std::uint8_t>(i / 250), static_cast<std::uint8_t>(i % 250 + 1)}, 0);
    RawPeer spoofed(testing::mallory(), src);
    spoofed.handshake_once(b_identity, b_endpoint);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // A and B still talk.
  ASSERT_TRUE(a_.process->write_line("send " + b_.address + " 0102"));
  ASSERT_EQ(expect_line(*b_.process, "frame "), "frame " + a_.address + " 0102");
  const std::string after = node_stats(*b_.process);
  const long admitted = stat(after, "initiations_received") - stat(before, "initiations_received");
  const long cookies = stat(after, "cookie_replies_sent") - stat(before, "cookie_replies_sent");
  EXPECT_GT(admitted + cookies, kSources / 2) << after;  // loopback drops few, if any
  EXPECT_GT(cookies, 0) << after;
  // Beyond the load threshold (64 a second) an initiation costs B a cookie
  // reply, not a Diffie-Hellman: the handshakes B works on are bounded by
  // time, not by the size of the flood.
  EXPECT_LE(admitted, static_cast<long>(64 * (seconds + 2))) << after << " in " << seconds << " s";
}

}  // namespace
}  // namespace weft::integration
