// Ethernet view and repr on any input: parse or fail cleanly; what parses must
// agree between view and repr, and emit the same header bytes back.
#include <algorithm>
#include <cstdint>

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "wire/ethernet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weft;  // NOLINT(google-build-using-namespace)
  const ByteSpan in = as_bytes(data, size);
  auto v = wire::EthernetView::parse(in);
  if (!v) return 0;
  WEFT_CHECK(v->header_len() + v->payload().size() == in.size());
  auto r = wire::EthernetRepr::parse(in);
  WEFT_CHECK(r.ok());
  WEFT_CHECK(r->buffer_len() == v->header_len());
  Bytes out(r->buffer_len());
  r->emit(out);
  WEFT_CHECK(std::equal(out.begin(), out.end(), in.begin()));
  return 0;
}
