// Frames from the network into the lwIP netif: no crash, no leak, no hang, for
// any bytes. The input is a sequence of frames, each prefixed by a 2-byte
// big-endian length, put into the tap as one batch. The stack has an IPv4 and an
// IPv6 address and a TCP listener and a UDP socket, so hostile frames reach ARP,
// ND, ICMP, IP reassembly, TCP and UDP.
#include <cstdint>
#include <memory>
#include <vector>

#include "base/bytes.hpp"
#include "base/mac.hpp"
#include "stack/lwip/lwip_netif.hpp"
#include "stack/lwip/lwip_stack.hpp"
#include "tap/tap.hpp"

namespace {

struct Discard final : weft::tap::FrameSink {
  void send_frames(std::span<const weft::ByteSpan>) override {}
};

struct World {
  World() : tap(*weft::Mac::parse("02:00:00:00:00:01"), 1500) {
    tap.attach_network(&discard);
    weft::stack::lwip::NetifConfig c;
    std::array<std::byte, 4> v4{std::byte{10}, std::byte{0}, std::byte{0}, std::byte{1}};
    c.ipv4 = weft::stack::IpAddress::v4(v4);
    std::array<std::byte, 16> v6{};
    v6[0] = std::byte{0xfd};
    v6[15] = std::byte{1};
    c.ipv6 = weft::stack::IpAddress::v6(v6);
    netif = std::move(weft::stack::lwip::LwipNetif::attach(tap, c)).value();
    auto& st = weft::stack::lwip::LwipStack::instance();
    tcp = std::move(st.open(weft::stack::Transport::tcp, weft::stack::Family::v4)).value();
    (void)tcp->bind({weft::stack::IpAddress::any(weft::stack::Family::v4), 80});
    (void)tcp->listen(4);
    udp = std::move(st.open(weft::stack::Transport::udp, weft::stack::Family::v6)).value();
    (void)udp->bind({weft::stack::IpAddress::any(weft::stack::Family::v6), 53});
  }
  Discard discard;
  weft::tap::Tap tap;
  std::unique_ptr<weft::stack::lwip::LwipNetif> netif;
  std::unique_ptr<weft::stack::Socket> tcp;
  std::unique_ptr<weft::stack::Socket> udp;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World* world = new World;  // lwIP is one per process; keep it for all inputs
  std::vector<weft::ByteSpan> frames;
  weft::ByteSpan in = weft::as_bytes(data, size);
  while (in.size() >= 2) {
    std::size_t n = weft::load_be16(in.first<2>());
    in = in.subspan(2);
    n = std::min(n, in.size());
    frames.push_back(in.first(n));
    in = in.subspan(n);
  }
  world->tap.put(frames);
  // Drain what the listener accepted and what the UDP socket got.
  while (world->tcp->accept(nullptr)) {
  }
  std::byte buf[2048];
  weft::stack::Endpoint from;
  while (world->udp->recv_from(buf, from, nullptr)) {
  }
  return 0;
}
