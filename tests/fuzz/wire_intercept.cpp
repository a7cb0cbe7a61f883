// Every intercept message the daemon or the preload parses (docs/intercept.md):
// no crash, no read out of bounds, and whatever parses emits back to the same bytes.
#include <algorithm>
#include <cstdint>

#include "base/assert.hpp"
#include "wire/intercept_message.hpp"

namespace {

template <typename Repr>
void round_trip(weft::ByteSpan b) {
  auto r = Repr::parse(b);
  if (!r) return;
  weft::Bytes out(Repr::buffer_len());
  r->emit(out);
  WEFT_CHECK(std::equal(out.begin(), out.end(), b.begin(), b.end()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const weft::ByteSpan b(reinterpret_cast<const std::byte*>(data), size);  // NOLINT
  round_trip<weft::wire::InterceptRequest>(b);
  round_trip<weft::wire::InterceptReply>(b);
  round_trip<weft::wire::AcceptNotice>(b);
  if (b.size() >= weft::wire::InterceptReply::kSize) {
    // An info reply: the reply, then its records.
    if (auto r = weft::wire::InterceptReply::parse(b.first(weft::wire::InterceptReply::kSize));
        r && r->value >= 0) {
      (void)weft::wire::parse_prefixes(b.subspan(weft::wire::InterceptReply::kSize),
                                       static_cast<std::size_t>(r->value));
    }
  }
  if (auto a = weft::wire::ResolveAnswer::parse(b)) {
    weft::Bytes out(a->buffer_len());
    a->emit(out);
    WEFT_CHECK(std::equal(out.begin(), out.end(), b.begin(), b.end()));
  }
  if (b.size() > weft::wire::InterceptRequest::kSize)  // a resolve request's name
    (void)weft::wire::ResolveName::parse(b.subspan(weft::wire::InterceptRequest::kSize));
  if (b.size() >= weft::wire::kDatagramHeaderSize)
    (void)weft::wire::SocketAddress::parse(b.first(weft::wire::kDatagramHeaderSize));
  return 0;
}
