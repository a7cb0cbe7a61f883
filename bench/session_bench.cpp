// What the peer layer adds on top of the AEAD: SessionTable::send (seal, header,
// one allocation per datagram) and SessionTable::receive (index lookup, replay
// window, open, hand-off) for frames between two in-process nodes, beside the
// bare PacketCipher seal+open of the same sizes in the same run. No I/O: the
// node-to-node UDP figure belongs to the osdep bench.
//
//   bench_session [--runs N] [--millis M]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "crypto/identity.hpp"
#include "crypto/packet_cipher.hpp"
#include "crypto/rng.hpp"
#include "peer/session_table.hpp"
#include "wire/data.hpp"

namespace {

using namespace weft;  // NOLINT(google-build-using-namespace)
using Clock = std::chrono::steady_clock;

double run_tables(peer::SessionTable& a, peer::SessionTable& b, NodeId to, std::size_t size,
                  int millis) {
  Bytes frame(size, std::byte{0x5a});
  frame[0] = std::byte{0x01};
  const auto ep = wire::Endpoint::ipv4({std::byte{127}, std::byte{0}, std::byte{0}, std::byte{1}},
                                       9);
  std::vector<peer::Outgoing> out;
  std::vector<peer::Outgoing> ignored;
  out.reserve(64);
  const auto start = Clock::now();
  const auto stop = start + std::chrono::milliseconds(millis);
  std::uint64_t frames = 0;
  auto now = start;
  const Instant t = Instant::from_nanos(2'000'000'000);
  while (now < stop) {
    for (int i = 0; i < 64; ++i, ++frames) {
      out.clear();
      if (!a.send(t, to, frame, out)) std::abort();
      for (auto& o : out)
        if (!b.receive(t, ep, o.datagram, ignored)) std::abort();
    }
    now = Clock::now();
  }
  return static_cast<double>(frames * size) / std::chrono::duration<double>(now - start).count() /
         1e6;
}

double run_cipher(std::size_t size, int millis) {
  ByteArray<32> raw{};
  raw.fill(std::byte{7});
  const crypto::Key32 key{raw};
  auto seal = crypto::PacketCipher::create(key, crypto::PacketCipher::Direction::seal).value();
  auto open = crypto::PacketCipher::create(key, crypto::PacketCipher::Direction::open).value();
  Bytes buf(size, std::byte{0x5a});
  Bytes sealed(size + 16);
  const ByteArray<16> ad{};
  const auto start = Clock::now();
  const auto stop = start + std::chrono::milliseconds(millis);
  std::uint64_t n = 0;
  auto now = start;
  while (now < stop) {
    for (int i = 0; i < 64; ++i, ++n)
      if (!seal.seal(n, ad, buf, sealed) || !open.open(n, ad, sealed, buf)) std::abort();
    now = Clock::now();
  }
  return static_cast<double>(n * size) / std::chrono::duration<double>(now - start).count() / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  int millis = 300;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--millis") == 0) millis = std::atoi(argv[i + 1]);
  }
  const auto alice = crypto::Identity::generate();
  const auto bob = crypto::Identity::generate();
  crypto::SeededRng ra(1);
  crypto::SeededRng rb(2);
  peer::SessionTableConfig config;
  config.path_mtu = 9000 + 64;  // no fragmentation: this measures the per-datagram path
  config.limits.rekey_after_messages = UINT64_MAX;
  peer::SessionTable a(alice, ra, config);
  peer::SessionTable b(bob, rb, config);
  (void)a.add_peer(bob.public_identity());
  (void)b.add_peer(alice.public_identity());
  const Instant t = Instant::from_nanos(2'000'000'000);
  const auto ep = wire::Endpoint::ipv4({std::byte{127}, std::byte{0}, std::byte{0}, std::byte{1}},
                                       9);
  std::vector<peer::Outgoing> o1;
  std::vector<peer::Outgoing> o2;
  std::vector<peer::Outgoing> o3;
  (void)a.initiate(t, bob.address(), o1);
  (void)b.receive(t, ep, o1.at(0).datagram, o2);
  (void)a.receive(t, ep, o2.at(0).datagram, o3);
  for (auto& o : o3) (void)b.receive(t, ep, o.datagram, o1);
  if (!a.has_session(bob.address())) return 1;

  std::printf("# frames sealed by one SessionTable and opened by another, beside bare\n"
              "# PacketCipher seal+open; MB/s of frame bytes, median of %d runs x %d ms\n",
              runs, millis);
  std::printf("%8s %14s %14s %8s %12s\n", "size", "PacketCipher", "SessionTable", "ratio",
              "frames/s");
  for (std::size_t size : {64UL, 1368UL, 9000UL}) {
    std::vector<double> c;
    std::vector<double> s;
    for (int r = 0; r < runs; ++r) {
      c.push_back(run_cipher(size, millis));
      s.push_back(run_tables(a, b, bob.address(), size, millis));
    }
    std::sort(c.begin(), c.end());
    std::sort(s.begin(), s.end());
    const double mc = c[c.size() / 2];
    const double ms = s[s.size() / 2];
    std::printf("%8zu %14.0f %14.0f %8.2f %12.0f\n", size, mc, ms, ms / mc,
                ms * 1e6 / static_cast<double>(size));
  }
  return 0;
}
