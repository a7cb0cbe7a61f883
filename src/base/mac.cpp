#include "base/mac.hpp"

#include "base/hex.hpp"

namespace weft {

Result<Mac> Mac::from_u64(std::uint64_t v) noexcept {
  if (v > kMask) return Error::invalid_argument;
  return Mac{v};
}

Mac Mac::from_bytes(std::span<const std::byte, kSize> b) noexcept {
  std::uint64_t v = 0;
  for (std::byte x : b) v = (v << 8U) | std::to_integer<std::uint64_t>(x);
  return Mac{v};
}

Result<Mac> Mac::parse(std::string_view text) noexcept {
  // Six two-digit groups and five separators, all the same separator.
  if (text.size() != 17) return Error::malformed;
  const char sep = text[2];
  if (sep != ':' && sep != '-') return Error::malformed;
  ByteArray<kSize> raw{};
  for (std::size_t i = 0; i < kSize; ++i) {
    if (i > 0 && text[3 * i - 1] != sep) return Error::malformed;
    if (!from_hex(text.substr(3 * i, 2), std::span<std::byte>(raw).subspan(i, 1)))
      return Error::malformed;
  }
  return from_bytes(raw);
}

void Mac::write(std::span<std::byte, kSize> out) const noexcept {
  std::uint64_t v = v_;
  for (std::size_t i = kSize; i-- > 0; v >>= 8U) out[i] = static_cast<std::byte>(v);
}

ByteArray<Mac::kSize> Mac::to_bytes() const noexcept {
  ByteArray<kSize> out{};
  write(out);
  return out;
}

std::string Mac::to_string() const {
  const auto b = to_bytes();
  std::string out;
  out.reserve(17);
  for (std::size_t i = 0; i < kSize; ++i) {
    if (i > 0) out.push_back(':');
    out += to_hex(std::span<const std::byte>(b).subspan(i, 1));
  }
  return out;
}

}  // namespace weft
