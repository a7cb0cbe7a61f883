// One wire/ parser per target: compiled once per repr, with WEFT_WIRE_REPR naming
// it (tests/fuzz/CMakeLists.txt). Any input must parse or fail cleanly; whatever
// parses must emit bytes that parse back to the same repr, and the view must
// agree with the repr on every input.
#include <cstdint>
#include <type_traits>

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "wire/cookie_reply.hpp"
#include "wire/data.hpp"
#include "wire/endpoint.hpp"
#include "wire/fragment.hpp"
#include "wire/frame.hpp"
#include "wire/header.hpp"
#include "wire/initiation.hpp"
#include "wire/inner.hpp"
#include "wire/lookup.hpp"
#include "wire/lookup_reply.hpp"
#include "wire/membership_credential.hpp"
#include "wire/peer_record.hpp"
#include "wire/probe.hpp"
#include "wire/registration.hpp"
#include "wire/registration_ack.hpp"
#include "wire/relay.hpp"
#include "wire/rendezvous.hpp"
#include "wire/response.hpp"

namespace {

using namespace weft;        // NOLINT(google-build-using-namespace)
using namespace weft::wire;  // NOLINT(google-build-using-namespace)

template <typename Repr>
void round_trip(ByteSpan in) {
  if constexpr (std::is_same_v<Repr, FrameHeader>) {
    // The frame header has no fields; check the view instead.
    auto v = FrameView::parse(in);
    if (v) WEFT_CHECK(v->payload().size() + 1 == in.size());
  } else {
    auto r = Repr::parse(in);
    if (!r) return;
    Bytes out(r->buffer_len());
    r->emit(out);
    // Header reprs describe only the front of the message: keep the rest as it was.
    if constexpr (std::is_same_v<Repr, DataHeader> || std::is_same_v<Repr, RelayHeader> ||
                  std::is_same_v<Repr, FragmentHeader>)
      out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(out.size()), in.end());
    auto again = Repr::parse(out);
    WEFT_CHECK(again.ok());
    WEFT_CHECK(*again == *r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan in = as_bytes(data, size);
  round_trip<WEFT_WIRE_REPR>(in);
  // Whatever the target, every inner-type and header classifier sees the input too.
  (void)inner_type(in);
  (void)Header::parse(in);
  return 0;
}
