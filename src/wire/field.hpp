#pragma once

// Fixed-offset field access for the checked views of this folder. A view checks
// the buffer length once when it is made; after that every accessor is a
// compile-time-sized sub-span at a named offset, so no accessor can read out of
// bounds and no offset is a bare number in accessor code.

#include <algorithm>
#include <cstddef>
#include <span>

#include "base/assert.hpp"
#include "base/bytes.hpp"

namespace weft::wire {

template <std::size_t Off, std::size_t N>
constexpr std::span<const std::byte, N> field(ByteSpan b) noexcept {
  return b.subspan<Off, N>();
}
template <std::size_t Off, std::size_t N>
constexpr std::span<std::byte, N> field(MutableByteSpan b) noexcept {
  return b.subspan<Off, N>();
}

template <std::size_t N>
constexpr ByteArray<N> to_array(std::span<const std::byte, N> s) noexcept {
  ByteArray<N> a{};
  std::copy(s.begin(), s.end(), a.begin());
  return a;
}

template <std::size_t N>
constexpr void put(std::span<std::byte, N> dst, const ByteArray<N>& src) noexcept {
  std::copy(src.begin(), src.end(), dst.begin());
}

// Emitting into a buffer shorter than buffer_len() is a bug of the caller, not
// something the network can cause.
inline void check_room(MutableByteSpan out, std::size_t need) noexcept {
  WEFT_CHECK(out.size() >= need);
}

inline bool all_zero(ByteSpan b) noexcept {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

}  // namespace weft::wire
