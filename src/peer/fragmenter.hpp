#pragma once

// Splits an inner message too large for one datagram into fragment inner
// messages (docs/protocol.md §5.3); Reassembler puts them back together.

#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft::peer {

struct Fragmenter {
  // Data bytes per fragment (the last may carry fewer) for fragments of at
  // most max_plaintext bytes, header included. Error::too_large for a message
  // over wire::kMaxInnerMessage, Error::invalid_argument for an empty message
  // or if max_plaintext leaves no room for data.
  static Result<std::size_t> chunk(std::size_t message_size, std::size_t max_plaintext);
  // The size of the fragment starting at `offset` (header and data).
  static std::size_t fragment_size(std::size_t message_size, std::size_t chunk,
                                   std::size_t offset) noexcept;
  // Writes that fragment into out (exactly fragment_size() bytes), so a
  // caller can build it in place where it will be sealed.
  static void emit(ByteSpan message, std::uint32_t message_id, std::size_t chunk,
                   std::size_t offset, MutableByteSpan out) noexcept;

  // All fragments, each in its own buffer. Errors as chunk().
  static Result<std::vector<Bytes>> split(ByteSpan message, std::uint32_t message_id,
                                          std::size_t max_plaintext);
};

}  // namespace weft::peer
