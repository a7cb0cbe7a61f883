#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace weft::integration {

// Deterministic bytes that depend on their absolute offset in a stream, so any
// chunk can be generated or checked on its own.
inline std::byte pattern_byte(std::uint64_t offset) noexcept {
  std::uint64_t x = (offset / 8 + 1) * 0x9E3779B97F4A7C15ULL;
  x ^= x >> 29U;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 32U;
  return static_cast<std::byte>(x >> ((offset % 8) * 8));
}

inline void fill_pattern(std::span<std::byte> out, std::uint64_t offset) noexcept {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = pattern_byte(offset + i);
}

}  // namespace weft::integration
