#pragma once

// Splits an inner message too large for one datagram into fragment inner
// messages (docs/protocol.md §5.3); Reassembler puts them back together.

#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft::peer {

struct Fragmenter {
  // Each returned fragment is at most max_plaintext bytes (header included).
  // Error::too_large for a message over wire::kMaxInnerMessage,
  // Error::invalid_argument if max_plaintext leaves no room for data.
  static Result<std::vector<Bytes>> split(ByteSpan message, std::uint32_t message_id,
                                          std::size_t max_plaintext);
};

}  // namespace weft::peer
