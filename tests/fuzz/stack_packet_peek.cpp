// The IP packet views of stack/lwip (packet_peek.hpp): any bytes, both parsers,
// no crash and no read outside the input.
#include <cstdint>

#include "base/bytes.hpp"
#include "stack/lwip/packet_peek.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const weft::ByteSpan in = weft::as_bytes(data, size);
  if (auto e = weft::stack::lwip::parse_port_unreachable(in)) {
    // The endpoints come from inside the packet.
    if (e->source.address.size() + 4 > size) __builtin_trap();
  }
  if (auto s = weft::stack::lwip::parse_tcp_syn(in)) {
    if (s->destination.address.family != s->source.address.family) __builtin_trap();
  }
  if (auto h = weft::stack::lwip::parse_tcp_header(in)) {
    if (h->destination.address.family != h->source.address.family) __builtin_trap();
  }
  return 0;
}
