#pragma once

// Building Ethernet frames byte by byte for tests that drive an lwIP netif
// directly (the peer is made of frames).

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "base/bytes.hpp"

namespace weft::stack::lwip::test {

inline void append(Bytes& f, std::initializer_list<std::uint8_t> bytes) {
  for (auto b : bytes) f.push_back(std::byte{b});
}
inline void append(Bytes& f, const std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) f.push_back(std::byte{p[i]});
}

// A broadcast ARP request from the peer (peer_mac, peer_ip) for our_ip: the
// netif answers it and learns the peer's MAC from it.
inline Bytes arp_request(const std::uint8_t (&peer_mac)[6], const std::uint8_t (&peer_ip)[4],
                         const std::uint8_t (&our_ip)[4]) {
  Bytes f;
  append(f, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  append(f, peer_mac, 6);
  append(f, {0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1});
  append(f, peer_mac, 6);
  append(f, peer_ip, 4);
  append(f, {0, 0, 0, 0, 0, 0});
  append(f, our_ip, 4);
  return f;
}

}  // namespace weft::stack::lwip::test
