#include "wire/icmp_too_big.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "wire/internet_checksum.hpp"

namespace weft::wire {

namespace {

constexpr std::size_t kEth = 14;
constexpr std::uint16_t kTypeIpv4 = 0x0800;
constexpr std::uint16_t kTypeIpv6 = 0x86dd;
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint8_t kIcmpv6 = 58;
constexpr std::size_t kIpv4Quote = 576 - 20 - 8;   // RFC 1812 §4.3.2.3
constexpr std::size_t kIpv6Quote = 1280 - 40 - 8;  // RFC 4443 §2.4(c)
constexpr std::uint8_t kHopLimit = 64;

std::uint8_t u8(ByteSpan b, std::size_t at) noexcept {
  return std::to_integer<std::uint8_t>(b[at]);
}
std::uint16_t u16(ByteSpan b, std::size_t at) noexcept {
  return static_cast<std::uint16_t>(u8(b, at) << 8 | u8(b, at + 1));
}
void put16(MutableByteSpan b, std::size_t at, std::size_t v) noexcept {
  b[at] = static_cast<std::byte>(v >> 8);
  b[at + 1] = static_cast<std::byte>(v);
}

// The Ethernet header of the answer: MACs swapped; false if the frame was
// sent to a group address (not answered).
bool ethernet(ByteSpan frame, std::uint16_t type, MutableByteSpan out) noexcept {
  if ((u8(frame, 0) & 1) != 0) return false;
  std::memcpy(out.data(), frame.data() + 6, 6);
  std::memcpy(out.data() + 6, frame.data(), 6);
  put16(out, 12, type);
  return true;
}

std::size_t ipv4(ByteSpan frame, std::size_t mtu, MutableByteSpan out) noexcept {
  const ByteSpan ip = frame.subspan(kEth);
  if (ip.size() < 20 || (u8(ip, 0) >> 4) != 4 || mtu < 68) return 0;
  const std::size_t ihl = static_cast<std::size_t>(u8(ip, 0) & 0x0f) * 4;
  const std::size_t total = u16(ip, 2);
  if (ihl < 20 || ip.size() < ihl || total < ihl || total <= mtu) return 0;
  const std::uint16_t flags_offset = u16(ip, 6);
  if ((flags_offset & 0x4000) == 0) return 0;  // no DF: a router would fragment
  if ((flags_offset & 0x1fff) != 0) return 0;  // not the first fragment
  const std::uint8_t src0 = u8(ip, 12);
  const std::uint8_t dst0 = u8(ip, 16);
  // Source: not 0.0.0.0/8, multicast, class E or broadcast; destination not
  // multicast or broadcast (a directed broadcast cannot be told here).
  if (src0 == 0 || src0 >= 224 || dst0 >= 224) return 0;
  if (u8(ip, 9) == kIcmp) {
    if (ip.size() < ihl + 1) return 0;  // cannot tell: answer nothing
    const std::uint8_t type = u8(ip, ihl);
    if (type != 0 && type != 8 && type != 13 && type != 14) return 0;  // an error: never answered
  }
  const std::size_t quote = std::min({ip.size(), total, kIpv4Quote});
  if (!ethernet(frame, kTypeIpv4, out)) return 0;
  MutableByteSpan o = out.subspan(kEth, 20 + 8 + quote);
  std::fill(o.begin(), o.end(), std::byte{0});
  o[0] = std::byte{0x45};
  o[1] = std::byte{0xc0};  // internetwork control, as routers send ICMP errors
  put16(o, 2, 20 + 8 + quote);
  o[8] = std::byte{kHopLimit};
  o[9] = std::byte{kIcmp};
  std::memcpy(o.data() + 12, ip.data() + 16, 4);  // from the packet's destination
  std::memcpy(o.data() + 16, ip.data() + 12, 4);  // to its source
  put16(o, 10, checksum_fold(checksum_add(o.first(20))));
  MutableByteSpan icmp = o.subspan(20);
  icmp[0] = std::byte{3};
  icmp[1] = std::byte{4};
  put16(icmp, 6, std::min<std::size_t>(mtu, 0xffff));
  std::memcpy(icmp.data() + 8, ip.data(), quote);
  put16(icmp, 2, checksum_fold(checksum_add(icmp)));
  return kEth + 20 + 8 + quote;
}

std::size_t ipv6(ByteSpan frame, std::size_t mtu, MutableByteSpan out) noexcept {
  const ByteSpan ip = frame.subspan(kEth);
  if (ip.size() < 40 || (u8(ip, 0) >> 4) != 6 || mtu < 1280) return 0;
  const std::size_t total = 40 + std::size_t{u16(ip, 4)};
  if (total <= mtu) return 0;  // (a jumbogram's 0 length is not answered either)
  const ByteSpan src = ip.subspan(8, 16);
  const ByteSpan dst = ip.subspan(24, 16);
  if (u8(src, 0) == 0xff) return 0;  // multicast source
  if (std::all_of(src.begin(), src.end(), [](std::byte b) { return b == std::byte{0}; }))
    return 0;  // unspecified source
  if (u8(ip, 6) == kIcmpv6) {
    if (ip.size() < 41) return 0;
    if (u8(ip, 40) < 128) return 0;  // an error message: never answered
  }
  // A multicast destination may answer too big (RFC 4443 §2.4(e.2)) but not
  // as the source: the kernel's own address would do, which this layer does
  // not know, so none.
  if (u8(dst, 0) == 0xff) return 0;
  const std::size_t quote = std::min({ip.size(), total, kIpv6Quote});
  if (!ethernet(frame, kTypeIpv6, out)) return 0;
  MutableByteSpan o = out.subspan(kEth, 40 + 8 + quote);
  std::fill(o.begin(), o.end(), std::byte{0});
  o[0] = std::byte{0x60};
  put16(o, 4, 8 + quote);
  o[6] = std::byte{kIcmpv6};
  o[7] = std::byte{kHopLimit};
  std::memcpy(o.data() + 8, dst.data(), 16);
  std::memcpy(o.data() + 24, src.data(), 16);
  MutableByteSpan icmp = o.subspan(40);
  icmp[0] = std::byte{2};
  const std::size_t m = std::min<std::size_t>(mtu, 0xffffffff);
  put16(icmp, 4, m >> 16);
  put16(icmp, 6, m & 0xffff);
  std::memcpy(icmp.data() + 8, ip.data(), quote);
  // Pseudo-header (RFC 8200 §8.1): addresses, upper-layer length, next header.
  std::uint32_t sum = checksum_add(ByteSpan(o).subspan(8, 32));
  sum += static_cast<std::uint32_t>(icmp.size() >> 16) +
         static_cast<std::uint32_t>(icmp.size() & 0xffff);
  sum += kIcmpv6;
  put16(icmp, 2, checksum_fold(checksum_add(icmp, sum)));
  return kEth + 40 + 8 + quote;
}

}  // namespace

std::size_t too_big_reply(ByteSpan frame, std::size_t mtu, MutableByteSpan out) noexcept {
  if (frame.size() < kEth || out.size() < kTooBigReplyMax) return 0;
  switch (u16(frame, 12)) {
    case kTypeIpv4: return ipv4(frame, mtu, out);
    case kTypeIpv6: return ipv6(frame, mtu, out);
    default: return 0;
  }
}

}  // namespace weft::wire
