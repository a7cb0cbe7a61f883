// Identity and public identity text parsers: must never crash or read out of
// bounds; whatever parses must print back to the same text (canonical form).
#include <cstdint>
#include <string>
#include <string_view>

#include "base/assert.hpp"
#include "crypto/identity.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);  // NOLINT
  if (auto pub = weft::crypto::PublicIdentity::parse(text)) {
    auto again = weft::crypto::PublicIdentity::parse(pub->to_string());
    WEFT_CHECK(again && *again == *pub);
  }
  if (auto id = weft::crypto::Identity::parse(text)) {
    auto again = weft::crypto::Identity::parse(id->to_secret_string());
    WEFT_CHECK(again && again->public_identity() == id->public_identity());
  }
  return 0;
}
