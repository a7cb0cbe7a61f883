#pragma once

// The answer a router gives to an IP packet too large for its next link, so
// the sender's path MTU discovery works:
//
//   IPv4 with DF set -> ICMP "fragmentation needed" (RFC 792, RFC 1191 §4:
//                       type 3, code 4, the next-hop MTU in bytes 6-7)
//   IPv6             -> ICMPv6 "packet too big" (RFC 4443 §3.2: type 2,
//                       code 0, the MTU in bytes 4-7)
//
// both quoting the start of the offending packet (IPv4: as much as fits in 576
// bytes, RFC 1812 §4.3.2.3; IPv6: as much as fits in 1280, RFC 4443 §2.4(c)),
// from the packet's destination to its source, in an Ethernet II frame with
// the two MACs swapped. Used where a kernel TAP device has a larger MTU than
// its network (tap::KernelLink): the kernel's route to the destination learns
// the network's MTU.
//
// No answer (0) for: a frame that is not untagged IPv4/IPv6, a packet that is
// not larger than `mtu`, IPv4 without DF or a non-first fragment (RFC 1191
// routers fragment those; we drop them), a packet that is itself an ICMP /
// ICMPv6 error (RFC 1812 §4.3.2.7, RFC 4443 §2.4(e)), a multicast/broadcast
// or unspecified source, a multicast/broadcast destination (IPv4) or a group
// Ethernet destination. `frame` may be cut short (only its head is needed);
// every read is bounds-checked.
//
// The checksums are computed; the answer's TTL / hop limit is 64.

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"

namespace weft::wire {

// Room an answer can take: Ethernet + IPv6 + 1232 bytes of ICMPv6 (the IPv4
// answer, 14 + 576, is smaller).
inline constexpr std::size_t kTooBigReplyMax = 14 + 1280;

// Writes the answer to `frame` (an Ethernet frame, possibly only its head)
// into `out` (at least kTooBigReplyMax bytes) and returns its length, or 0 if
// the packet gets none. `mtu` is the IP MTU of the link it did not fit
// (IPv4: at least 68, IPv6: at least 1280; smaller values answer nothing).
std::size_t too_big_reply(ByteSpan frame, std::size_t mtu, MutableByteSpan out) noexcept;

}  // namespace weft::wire
