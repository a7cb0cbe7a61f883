#include "crypto/identity_text.hpp"

#include "base/hex.hpp"

namespace weft::crypto {

namespace {

constexpr std::string_view kSpace = " \t\r\n";
constexpr std::size_t kKeysHex = 128;

// Shorter than expected and made only of hex digits reads as a cut-off file.
Error length_error(std::string_view field, std::size_t expected) {
  if (field.size() < expected &&
      field.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos)
    return Error::truncated;
  return Error::malformed;
}

}  // namespace

Result<IdentityText::Fields> IdentityText::split(std::string_view text) {
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return Error::truncated;
  text = text.substr(first, text.find_last_not_of(kSpace) - first + 1);

  std::string_view parts[4];
  std::size_t n = 0;
  while (true) {
    const auto colon = text.find(':');
    if (n == 4) return Error::malformed;
    parts[n++] = text.substr(0, colon);
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
  }
  if (n < 3) return Error::truncated;
  return Fields{parts[0], parts[1], parts[2], parts[3], n == 4};
}

Result<IdentityText::PublicParts> IdentityText::decode_public(const Fields& f) {
  auto address = NodeId::parse(f.address);
  if (!address) return length_error(f.address, 2 * NodeId::kSize);
  if (f.version != PublicIdentity::kVersion) return Error::unsupported_version;
  if (f.public_keys.size() != kKeysHex) return length_error(f.public_keys, kKeysHex);
  PublicParts out{*address, {}, {}};
  if (!from_hex(f.public_keys.substr(0, 64), out.sign_pk) ||
      !from_hex(f.public_keys.substr(64), out.kx_pk))
    return Error::malformed;
  return out;
}

}  // namespace weft::crypto
