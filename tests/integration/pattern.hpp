#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace weft::integration {

// Deterministic bytes that depend on their absolute offset in a stream, so any
// chunk can be generated or checked on its own: byte k of the stream is byte
// k % 8 (little-endian) of pattern_word(k / 8).
inline std::uint64_t pattern_word(std::uint64_t index) noexcept {
  std::uint64_t x = (index + 1) * 0x9E3779B97F4A7C15ULL;
  x ^= x >> 29U;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 32U;
  return x;
}

inline std::byte pattern_byte(std::uint64_t offset) noexcept {
  return static_cast<std::byte>(pattern_word(offset / 8) >> ((offset % 8) * 8));
}

// A word at a time where the stream is 8-aligned: the 1 GiB test makes 2 GiB of
// pattern, and per byte that alone took seconds.
inline void fill_pattern(std::span<std::byte> out, std::uint64_t offset) noexcept {
  std::size_t i = 0;
  for (; i < out.size() && (offset + i) % 8 != 0; ++i) out[i] = pattern_byte(offset + i);
  for (; i + 8 <= out.size(); i += 8) {
    const std::uint64_t w = pattern_word((offset + i) / 8);
    for (std::size_t k = 0; k < 8; ++k) out[i + k] = static_cast<std::byte>(w >> (k * 8));
  }
  for (; i < out.size(); ++i) out[i] = pattern_byte(offset + i);
}

}  // namespace weft::integration
