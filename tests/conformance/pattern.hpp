#pragma once

// Test data both processes can generate and check: a seeded xorshift byte
// stream, and a 64-bit FNV-1a digest for reporting what a process received.

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"

namespace weft::conformance {

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

}  // namespace weft::conformance
