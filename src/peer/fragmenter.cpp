#include "peer/fragmenter.hpp"

#include <algorithm>
#include <cstring>

#include "base/assert.hpp"
#include "wire/fragment.hpp"
#include "wire/inner.hpp"

namespace weft::peer {

Result<std::size_t> Fragmenter::chunk(std::size_t message_size, std::size_t max_plaintext) {
  if (message_size == 0) return Error::invalid_argument;
  if (message_size > wire::kMaxInnerMessage) return Error::too_large;
  if (max_plaintext <= wire::FragmentHeader::buffer_len()) return Error::invalid_argument;
  return max_plaintext - wire::FragmentHeader::buffer_len();
}

std::size_t Fragmenter::fragment_size(std::size_t message_size, std::size_t chunk,
                                      std::size_t offset) noexcept {
  return wire::FragmentHeader::buffer_len() + std::min(chunk, message_size - offset);
}

void Fragmenter::emit(ByteSpan message, std::uint32_t message_id, std::size_t chunk,
                      std::size_t offset, MutableByteSpan out) noexcept {
  const std::size_t n = std::min(chunk, message.size() - offset);
  WEFT_CHECK(offset < message.size() && out.size() == wire::FragmentHeader::buffer_len() + n);
  wire::FragmentHeader{message_id, static_cast<std::uint32_t>(message.size()),
                       static_cast<std::uint32_t>(offset)}
      .emit(out);
  std::memcpy(out.data() + wire::FragmentHeader::buffer_len(), message.data() + offset, n);
}

Result<std::vector<Bytes>> Fragmenter::split(ByteSpan message, std::uint32_t message_id,
                                             std::size_t max_plaintext) {
  auto c = chunk(message.size(), max_plaintext);
  if (!c) return c.error();
  std::vector<Bytes> out;
  out.reserve((message.size() + *c - 1) / *c);
  for (std::size_t at = 0; at < message.size(); at += *c) {
    Bytes f(fragment_size(message.size(), *c, at));
    emit(message, message_id, *c, at, f);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace weft::peer
