#pragma once

// Fixed-offset field access for the checked views of this folder. A view checks
// the buffer length once when it is made; after that every accessor is a
// compile-time-sized sub-span at a named offset, so no accessor can read out of
// bounds and no offset is a bare number in accessor code.

#include <algorithm>
#include <cstddef>
#include <span>
#include <string_view>

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

// A repr's bytes in a new buffer of exactly buffer_len().
template <typename Repr>
Bytes emit_bytes(const Repr& repr) {
  Bytes out(repr.buffer_len());
  repr.emit(out);
  return out;
}

// What a signed message signs: a context string (so a signature over one kind of
// message can never pass for another) followed by the emitted message without its
// trailing signature of signature_size bytes.
template <typename Repr>
Bytes signed_part_with_context(std::string_view context, const Repr& repr,
                               std::size_t signature_size) {
  const auto ctx = as_bytes(context);
  Bytes out(ctx.size() + repr.buffer_len());
  std::copy(ctx.begin(), ctx.end(), out.begin());
  repr.emit(MutableByteSpan(out).subspan(ctx.size()));
  out.resize(out.size() - signature_size);
  return out;
}

}  // namespace weft::wire
