// The reassembler fed a stream of fragments chosen by the input: each record is
// [source u8][time step u8][length u8][fragment bytes]. Whatever arrives, memory
// stays within the limits and a completed message has exactly its total length.
#include <cstdint>

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "peer/reassembler.hpp"
#include "wire/fragment.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weft;  // NOLINT(google-build-using-namespace)
  const peer::ReassemblerLimits limits{.max_messages = 4, .max_bytes = 200'000, .timeout = 5s};
  peer::Reassembler r(limits);
  Instant now = Instant::from_nanos(1);
  ByteSpan in = as_bytes(data, size);
  while (in.size() >= 3) {
    const auto source = std::to_integer<std::uint64_t>(in[0]) % 3;
    now += std::chrono::milliseconds(std::to_integer<int>(in[1]) * 20);
    const std::size_t len = std::min<std::size_t>(std::to_integer<std::size_t>(in[2]), in.size() - 3);
    const ByteSpan fragment = in.subspan(3, len);
    in = in.subspan(3 + len);
    auto view = wire::FragmentView::parse(fragment);
    if (!view) continue;
    auto done = r.add(now, source, *view);
    if (done && done->has_value()) WEFT_CHECK((*done)->size() == view->total_length());
    WEFT_CHECK(r.in_flight() <= limits.max_messages);
    WEFT_CHECK(r.bytes() <= limits.max_bytes);
  }
  r.expire(now + 5s);
  WEFT_CHECK(r.in_flight() == 0 && r.bytes() == 0);
  return 0;
}
