// The VL2 config formats (wire/network_config.hpp, wire/vl2_messages.hpp), one
// target per repr named by WEFT_WIRE_REPR: any input parses or fails cleanly;
// whatever parses emits bytes that parse back to the same repr; the network
// config's view agrees with its repr.
#include <cstdint>
#include <type_traits>

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "wire/network_config.hpp"
#include "wire/vl2_messages.hpp"

namespace {

using namespace weft;        // NOLINT(google-build-using-namespace)
using namespace weft::wire;  // NOLINT(google-build-using-namespace)

template <typename Repr>
void round_trip(ByteSpan in) {
  auto r = Repr::parse(in);
  if constexpr (std::is_same_v<Repr, NetworkConfig>) {
    auto v = NetworkConfigView::parse(in);
    WEFT_CHECK(v.ok() == r.ok());
    if (v) {
      WEFT_CHECK(v->name() == r->name && v->dns_name() == r->dns_name);
      WEFT_CHECK(v->route_count() == r->routes.size());
      WEFT_CHECK(r->valid());
    }
  }
  if (!r) return;
  Bytes out(r->buffer_len());
  r->emit(out);
  WEFT_CHECK(equal_bytes(out, in));
  auto again = Repr::parse(out);
  WEFT_CHECK(again.ok());
  WEFT_CHECK(*again == *r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan in = as_bytes(data, size);
  round_trip<WEFT_WIRE_REPR>(in);
  (void)vl2_inner_type(in);
  return 0;
}
