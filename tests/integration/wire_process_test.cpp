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

#include "base/hex.hpp"
#include "integration/child_process.hpp"

namespace weft::integration {
namespace {

namespace fs = std::filesystem;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Reads lines until one starts with `prefix`; "" if the process ended first.
std::string expect_line(ChildProcess& p, const std::string& prefix) {
  while (true) {
    std::string line = p.read_line();
    if (line.empty() || starts_with(line, prefix)) return line;
  }
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> w;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::size_t j = line.find(' ', i);
    w.push_back(line.substr(i, j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return w;
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
    fs::remove_all(dir_);
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
      "exec tshark -l -P -i lo -F pcap -f '" + filter + "' -w " + file + " 2>&1";
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

// Packet count of a classic pcap file; -1 if it is not one.
long pcap_packets(const Bytes& file) {
  if (file.size() < 24) return -1;
  long n = 0;
  std::size_t off = 24;
  while (off + 16 <= file.size()) {
    std::uint32_t incl = 0;
    for (int i = 3; i >= 0; --i)
      incl = incl << 8U | std::to_integer<std::uint32_t>(file[off + 8 + i]);
    off += 16 + incl;
    ++n;
  }
  return n;
}

TEST_F(WireProcessTest, FramesCrossByteExactAndEncrypted) {
  a_ = start_node("a");
  b_ = start_node("b");
  ASSERT_FALSE(a_.address.empty());
  ASSERT_FALSE(b_.address.empty());
  ASSERT_FALSE(expect_line(*a_.process, "event root_registered").empty());
  ASSERT_FALSE(expect_line(*b_.process, "event root_registered").empty());

  const std::string pcap = dir_ + "/lo.pcap";
  // Marker datagrams go to the root, which drops them as malformed.
  auto capture = start_capture(pcap,
                               "udp and (port " + root_port_ + " or port " + port_of(a_.endpoint) +
                                   " or port " + port_of(b_.endpoint) + ")",
                               static_cast<std::uint16_t>(std::stoi(root_port_)));
  if (!capture) GTEST_SKIP() << "tshark cannot capture on lo here (needs CAP_NET_RAW)";

  // The first frame waits (bounded) while A looks B up and they handshake.
  ASSERT_TRUE(a_.process->write_line("send " + b_.address + " 00"));
  ASSERT_EQ(expect_line(*b_.process, "frame "), "frame " + a_.address + " 00");

  const auto a_to_b = make_frames(140, 1);
  const auto b_to_a = make_frames(14, 2);
  // Byte-exact, each exactly once (loopback may not reorder, but nothing here
  // relies on it). A writer thread feeds the sender while this thread drains the
  // receiver, so neither pipe fills up.
  auto transfer = [](ChildProcess& from, const std::string& from_address, ChildProcess& to,
                     const std::string& to_address, const std::vector<Bytes>& frames) {
    std::thread writer([&] {
      for (const auto& f : frames) from.write_line("send " + to_address + " " + to_hex(f));
    });
    std::multiset<std::string> got;
    while (got.size() < frames.size()) {
      const auto w = words(expect_line(to, "frame "));
      if (w.size() != 3) break;
      EXPECT_EQ(w[1], from_address);
      got.insert(w[2]);
    }
    writer.join();
    std::multiset<std::string> sent;
    for (const auto& f : frames) sent.insert(to_hex(f));
    EXPECT_EQ(got, sent);
  };
  transfer(*a_.process, a_.address, *b_.process, b_.address, a_to_b);
  transfer(*b_.process, b_.address, *a_.process, a_.address, b_to_a);

  // The nodes found each other through the root and talk directly.
  a_.process->write_line("stats");
  const auto stats = expect_line(*a_.process, "stats ");
  EXPECT_NE(stats.find("direct_sent="), std::string::npos);
  EXPECT_EQ(stats.find("direct_sent=0 "), std::string::npos) << stats;

  capture->terminate();
  std::ifstream in(pcap, std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes file(raw.size());
  std::transform(raw.begin(), raw.end(), file.begin(),
                 [](char c) { return static_cast<std::byte>(c); });
  // The capture saw the traffic: at least a datagram per frame (the large ones
  // are fragments)...
  EXPECT_GE(pcap_packets(file), static_cast<long>(a_to_b.size() + b_to_a.size()));
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

}  // namespace
}  // namespace weft::integration
