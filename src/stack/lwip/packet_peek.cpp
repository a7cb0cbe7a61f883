#include "stack/lwip/packet_peek.hpp"

#include "wire/internet_checksum.hpp"

namespace weft::stack::lwip {

namespace {

constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoIcmp6 = 58;
constexpr std::size_t kIp6Header = 40;
constexpr std::size_t kIcmpHeader = 8;

std::uint8_t u8(ByteSpan b, std::size_t i) noexcept { return std::to_integer<std::uint8_t>(b[i]); }
std::uint16_t be16(ByteSpan b, std::size_t i) noexcept {
  return load_be16(b.subspan(i).first<2>());
}

// An IP header's version, addresses, protocol and where its payload lies.
struct IpView {
  Family family;
  IpAddress source;
  IpAddress destination;
  std::uint8_t protocol;
  ByteSpan payload;  // up to the length the header declares
};

IpAddress address(Family f, ByteSpan b) noexcept {
  IpAddress a{f, {}};
  for (std::size_t i = 0; i < a.size(); ++i) a.bytes[i] = b[i];
  return a;
}

// `quoted`: an ICMP error quotes a header whose datagram was cut short, so the
// declared length is not held against the bytes present.
std::optional<IpView> parse_ip(ByteSpan p, bool quoted) noexcept {
  if (p.empty()) return std::nullopt;
  const unsigned version = u8(p, 0) >> 4U;
  if (version == 4) {
    if (p.size() < 20) return std::nullopt;
    const std::size_t ihl = std::size_t{u8(p, 0) & 0x0FU} * 4;
    if (ihl < 20 || ihl > p.size()) return std::nullopt;
    const std::size_t total = be16(p, 2);
    if (total < ihl) return std::nullopt;
    // Only a whole datagram or its first fragment carries the transport header.
    if ((be16(p, 6) & 0x1FFFU) != 0) return std::nullopt;
    if (!quoted) {
      if (total > p.size()) return std::nullopt;
      if ((be16(p, 6) & 0x2000U) != 0) return std::nullopt;  // more fragments
    }
    const std::size_t end = std::min(total, p.size());
    return IpView{Family::v4, address(Family::v4, p.subspan(12, 4)),
                  address(Family::v4, p.subspan(16, 4)), u8(p, 9), p.subspan(ihl, end - ihl)};
  }
  if (version == 6) {
    if (p.size() < kIp6Header) return std::nullopt;
    const std::size_t total = kIp6Header + be16(p, 4);
    if (!quoted && total > p.size()) return std::nullopt;
    const std::size_t end = std::min(total, p.size());
    return IpView{Family::v6, address(Family::v6, p.subspan(8, 16)),
                  address(Family::v6, p.subspan(24, 16)), u8(p, 6),
                  p.subspan(kIp6Header, end - kIp6Header)};
  }
  return std::nullopt;
}

std::uint32_t pseudo_header_sum(const IpView& ip) noexcept {
  std::uint32_t sum = 0;
  for (const IpAddress* a : {&ip.source, &ip.destination}) {
    sum = wire::checksum_add(ByteSpan(a->bytes.data(), a->size()), sum);
  }
  const auto len = static_cast<std::uint32_t>(ip.payload.size());
  return sum + (len >> 16U) + (len & 0xFFFFU) + ip.protocol;
}

}  // namespace

std::optional<TcpHeader> parse_tcp_header(ByteSpan packet) noexcept {
  auto ip = parse_ip(packet, false);
  if (!ip || ip->protocol != kProtoTcp || ip->payload.size() < 20) return std::nullopt;
  return TcpHeader{{ip->source, be16(ip->payload, 0)},
                   {ip->destination, be16(ip->payload, 2)},
                   u8(ip->payload, 13)};
}

std::optional<TcpSyn> parse_tcp_syn(ByteSpan packet) noexcept {
  auto h = parse_tcp_header(packet);
  if (!h || !h->requests_connection()) return std::nullopt;
  return TcpSyn{h->source, h->destination};
}

std::optional<PortUnreachable> parse_port_unreachable(ByteSpan packet) noexcept {
  auto ip = parse_ip(packet, false);
  if (!ip) return std::nullopt;
  const ByteSpan icmp = ip->payload;
  if (icmp.size() < kIcmpHeader) return std::nullopt;
  if (ip->family == Family::v4) {
    if (ip->protocol != kProtoIcmp || u8(icmp, 0) != 3 || u8(icmp, 1) != 3) return std::nullopt;
    if (wire::checksum_fold(wire::checksum_add(icmp)) != 0) return std::nullopt;
  } else {
    if (ip->protocol != kProtoIcmp6 || u8(icmp, 0) != 1 || u8(icmp, 1) != 4) return std::nullopt;
    if (wire::checksum_fold(wire::checksum_add(icmp, pseudo_header_sum(*ip))) != 0)
      return std::nullopt;
  }
  auto quoted = parse_ip(icmp.subspan(kIcmpHeader), true);
  if (!quoted || quoted->family != ip->family || quoted->protocol != kProtoUdp ||
      quoted->payload.size() < 4)
    return std::nullopt;
  return PortUnreachable{{quoted->source, be16(quoted->payload, 0)},
                         {quoted->destination, be16(quoted->payload, 2)}};
}

}  // namespace weft::stack::lwip
