#include "peer/fragmenter.hpp"

#include <algorithm>

#include "wire/fragment.hpp"
#include "wire/inner.hpp"

namespace weft::peer {

Result<std::vector<Bytes>> Fragmenter::split(ByteSpan message, std::uint32_t message_id,
                                             std::size_t max_plaintext) {
  if (message.empty()) return Error::invalid_argument;
  if (message.size() > wire::kMaxInnerMessage) return Error::too_large;
  if (max_plaintext <= wire::FragmentHeader::buffer_len()) return Error::invalid_argument;
  const std::size_t chunk = max_plaintext - wire::FragmentHeader::buffer_len();
  std::vector<Bytes> out;
  out.reserve((message.size() + chunk - 1) / chunk);
  for (std::size_t at = 0; at < message.size(); at += chunk) {
    const std::size_t n = std::min(chunk, message.size() - at);
    Bytes f(wire::FragmentHeader::buffer_len() + n);
    wire::FragmentHeader{message_id, static_cast<std::uint32_t>(message.size()),
                         static_cast<std::uint32_t>(at)}
        .emit(f);
    std::copy_n(message.begin() + static_cast<std::ptrdiff_t>(at), n,
                f.begin() + static_cast<std::ptrdiff_t>(wire::FragmentHeader::buffer_len()));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace weft::peer
