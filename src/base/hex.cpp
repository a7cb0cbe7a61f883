#include "base/hex.hpp"

namespace weft {

namespace {

constexpr std::string_view kDigits = "0123456789abcdef";

constexpr int digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_hex(ByteSpan bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    const auto v = std::to_integer<unsigned>(b);
    out.push_back(kDigits[v >> 4U]);
    out.push_back(kDigits[v & 0xfU]);
  }
  return out;
}

Result<void> from_hex(std::string_view text, MutableByteSpan out) {
  if (text.size() != out.size() * 2) return Error::malformed;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = digit_value(text[2 * i]);
    const int lo = digit_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return Error::malformed;
    out[i] = static_cast<std::byte>((hi << 4) | lo);
  }
  return {};
}

Result<Bytes> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return Error::malformed;
  Bytes out(text.size() / 2);
  WEFT_TRY(from_hex(text, out));
  return out;
}

}  // namespace weft
