#pragma once

// Inner messages: the plaintext of a data message (wire/data.hpp). An empty
// plaintext is a keepalive; otherwise byte 0 is the inner type. docs/protocol.md §5.2.

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft::wire {

enum class InnerType : std::uint8_t {
  keepalive = 0,  // not a byte on the wire: the empty plaintext
  frame = 0x01,
  fragment = 0x02,
  probe = 0x03,
  probe_reply = 0x04,
  registration = 0x10,
  registration_ack = 0x11,
  lookup = 0x12,
  lookup_reply = 0x13,
  rendezvous = 0x14,
};

// The largest inner message a reassembly may produce: a 64 KiB virtual frame
// plus room for the VL2 header in front of it.
inline constexpr std::size_t kMaxInnerMessage = 65536 + 512;

// Error::malformed for a type byte this version does not define.
Result<InnerType> inner_type(ByteSpan plaintext) noexcept;

}  // namespace weft::wire
