#pragma once

// Test data that two processes can each generate and check:
// - pattern(n, seed): a seeded xorshift byte string, and Fnv1a, a 64-bit digest
//   for reporting what a process received;
// - fill_pattern: a stream whose bytes depend only on their offset, so any chunk
//   of a long transfer can be made or checked on its own.

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/bytes.hpp"

namespace weft::test_support {

inline Bytes pattern(std::size_t n, std::uint32_t seed) {
  Bytes b(n);
  std::uint32_t x = seed * 2654435761U + 0x9e3779b9U;
  for (auto& c : b) {
    x ^= x << 13U;
    x ^= x >> 17U;
    x ^= x << 5U;
    c = std::byte(static_cast<std::uint8_t>(x >> 11U));
  }
  return b;
}

class Fnv1a {
 public:
  void add(ByteSpan data) noexcept {
    for (std::byte c : data) {
      h_ ^= static_cast<std::uint8_t>(c);
      h_ *= 0x100000001b3ULL;
    }
  }
  [[nodiscard]] std::uint64_t value() const noexcept { return h_; }

 private:
  std::uint64_t h_{0xcbf29ce484222325ULL};
};

inline std::uint64_t fnv1a(ByteSpan data) noexcept {
  Fnv1a f;
  f.add(data);
  return f.value();
}

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

}  // namespace weft::test_support
