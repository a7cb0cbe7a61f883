#pragma once

// Byte order and byte-type helpers. Packet bytes are std::byte everywhere; this
// file is the only place that converts between byte-like types or reads integers
// out of raw bytes, so no other file needs a reinterpret_cast on packet data.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace weft {

using Bytes = std::vector<std::byte>;
using ByteSpan = std::span<const std::byte>;
using MutableByteSpan = std::span<std::byte>;

template <std::size_t N>
using ByteArray = std::array<std::byte, N>;

// ---- fixed-size loads and stores: the extent is checked at compile time ----

constexpr std::uint16_t load_be16(std::span<const std::byte, 2> b) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(b[0]) << 8U) |
                                    std::to_integer<unsigned>(b[1]));
}
constexpr std::uint32_t load_be32(std::span<const std::byte, 4> b) noexcept {
  std::uint32_t v = 0;
  for (std::byte x : b) v = (v << 8U) | std::to_integer<std::uint32_t>(x);
  return v;
}
constexpr std::uint64_t load_be64(std::span<const std::byte, 8> b) noexcept {
  std::uint64_t v = 0;
  for (std::byte x : b) v = (v << 8U) | std::to_integer<std::uint64_t>(x);
  return v;
}
constexpr std::uint64_t load_be40(std::span<const std::byte, 5> b) noexcept {
  std::uint64_t v = 0;
  for (std::byte x : b) v = (v << 8U) | std::to_integer<std::uint64_t>(x);
  return v;
}
constexpr std::uint16_t load_le16(std::span<const std::byte, 2> b) noexcept {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(b[0]) |
                                    (std::to_integer<unsigned>(b[1]) << 8U));
}
constexpr std::uint32_t load_le32(std::span<const std::byte, 4> b) noexcept {
  std::uint32_t v = 0;
  for (std::size_t i = 4; i-- > 0;) v = (v << 8U) | std::to_integer<std::uint32_t>(b[i]);
  return v;
}
constexpr std::uint64_t load_le64(std::span<const std::byte, 8> b) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 8; i-- > 0;) v = (v << 8U) | std::to_integer<std::uint64_t>(b[i]);
  return v;
}

constexpr void store_be16(std::span<std::byte, 2> b, std::uint16_t v) noexcept {
  b[0] = static_cast<std::byte>(v >> 8U);
  b[1] = static_cast<std::byte>(v);
}
constexpr void store_be32(std::span<std::byte, 4> b, std::uint32_t v) noexcept {
  for (std::size_t i = 4; i-- > 0; v >>= 8U) b[i] = static_cast<std::byte>(v);
}
constexpr void store_be40(std::span<std::byte, 5> b, std::uint64_t v) noexcept {
  for (std::size_t i = 5; i-- > 0; v >>= 8U) b[i] = static_cast<std::byte>(v);
}
constexpr void store_be64(std::span<std::byte, 8> b, std::uint64_t v) noexcept {
  for (std::size_t i = 8; i-- > 0; v >>= 8U) b[i] = static_cast<std::byte>(v);
}
constexpr void store_le16(std::span<std::byte, 2> b, std::uint16_t v) noexcept {
  b[0] = static_cast<std::byte>(v);
  b[1] = static_cast<std::byte>(v >> 8U);
}
constexpr void store_le32(std::span<std::byte, 4> b, std::uint32_t v) noexcept {
  for (std::size_t i = 0; i < 4; ++i, v >>= 8U) b[i] = static_cast<std::byte>(v);
}
constexpr void store_le64(std::span<std::byte, 8> b, std::uint64_t v) noexcept {
  for (std::size_t i = 0; i < 8; ++i, v >>= 8U) b[i] = static_cast<std::byte>(v);
}

// ---- conversions between byte-like types (the only reinterpret_casts) ----

inline ByteSpan as_bytes(std::span<const std::uint8_t> s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};  // NOLINT
}
inline MutableByteSpan as_writable_bytes(std::span<std::uint8_t> s) noexcept {
  return {reinterpret_cast<std::byte*>(s.data()), s.size()};  // NOLINT
}
inline ByteSpan as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};  // NOLINT
}
inline ByteSpan as_bytes(const void* data, std::size_t size) noexcept {
  return {static_cast<const std::byte*>(data), size};
}
inline MutableByteSpan as_writable_bytes(void* data, std::size_t size) noexcept {
  return {static_cast<std::byte*>(data), size};
}
inline const std::uint8_t* as_uchar(ByteSpan s) noexcept {
  return reinterpret_cast<const std::uint8_t*>(s.data());  // NOLINT
}
inline std::uint8_t* as_uchar(MutableByteSpan s) noexcept {
  return reinterpret_cast<std::uint8_t*>(s.data());  // NOLINT
}
inline std::string_view as_chars(ByteSpan s) noexcept {
  return {reinterpret_cast<const char*>(s.data()), s.size()};  // NOLINT
}

// Constant-time-irrelevant equality for public data (ids, headers).
inline bool equal_bytes(ByteSpan a, ByteSpan b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace weft
