#pragma once

// Checked views into IP packets that lwIP is about to process, for the input
// hooks of lwip_stack.cpp: which connection a TCP segment is for (loss
// recovery), which connection a SYN asks for (listen backlog) and which
// datagram an ICMP port unreachable is about (errors on UDP sockets). No lwIP
// types here, so the parsers are fuzzed on their own.

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "stack/endpoint.hpp"

namespace weft::stack::lwip {

// A TCP segment with SYN set and ACK and RST clear: a connection request.
struct TcpSyn {
  Endpoint source;
  Endpoint destination;
};

// Any TCP segment: its connection and its flags byte (TCP header offset 13).
struct TcpHeader {
  Endpoint source;
  Endpoint destination;
  std::uint8_t flags;
  // SYN set, ACK and RST clear.
  [[nodiscard]] bool requests_connection() const noexcept {
    constexpr std::uint8_t kSyn = 0x02;
    constexpr std::uint8_t kRst = 0x04;
    constexpr std::uint8_t kAck = 0x10;
    return (flags & (kSyn | kRst | kAck)) == kSyn;
  }
};

// packet: an IPv4 or IPv6 packet from its IP header on, TCP directly after the
// IPv4 header or the fixed IPv6 header. Fragments other than a whole datagram
// and anything else return nullopt. The TCP checksum is not checked (lwIP does,
// after this).
std::optional<TcpSyn> parse_tcp_syn(ByteSpan packet) noexcept;
// The same packets, any flags.
std::optional<TcpHeader> parse_tcp_header(ByteSpan packet) noexcept;

// The UDP datagram an ICMP destination unreachable (code 3, port) or ICMPv6
// destination unreachable (code 4, port) quotes.
struct PortUnreachable {
  Endpoint source;       // the quoted datagram's source: the socket that sent it
  Endpoint destination;  // where it was sent
};

// packet: an IPv4 packet carrying ICMP, or an IPv6 packet whose fixed header
// says ICMPv6, from the IP header on. nullopt unless it is a port unreachable
// with a valid ICMP checksum (ICMPv6: over the pseudo-header too) quoting a UDP
// datagram of the same IP version (at least its ports).
std::optional<PortUnreachable> parse_port_unreachable(ByteSpan packet) noexcept;

}  // namespace weft::stack::lwip
