#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft {

// A 48-bit Ethernet address.
class Mac {
 public:
  static constexpr std::size_t kSize = 6;
  static constexpr std::uint64_t kMask = 0xffff'ffff'ffffULL;

  constexpr Mac() = default;
  static Result<Mac> from_u64(std::uint64_t v) noexcept;
  static constexpr Mac broadcast() noexcept { return Mac{kMask}; }
  static Mac from_bytes(std::span<const std::byte, kSize> b) noexcept;
  // "aa:bb:cc:dd:ee:ff" or with '-' separators, either case.
  static Result<Mac> parse(std::string_view text) noexcept;

  [[nodiscard]] constexpr std::uint64_t value() const noexcept { return v_; }
  [[nodiscard]] constexpr bool is_broadcast() const noexcept { return v_ == kMask; }
  // The I/G bit of the first octet.
  [[nodiscard]] constexpr bool is_multicast() const noexcept { return ((v_ >> 40U) & 1U) != 0; }
  [[nodiscard]] constexpr bool is_locally_administered() const noexcept {
    return ((v_ >> 40U) & 2U) != 0;
  }
  [[nodiscard]] ByteArray<kSize> to_bytes() const noexcept;
  void write(std::span<std::byte, kSize> out) const noexcept;
  [[nodiscard]] std::string to_string() const;

  constexpr auto operator<=>(const Mac&) const = default;

 private:
  constexpr explicit Mac(std::uint64_t v) : v_(v) {}
  std::uint64_t v_{0};
};

}  // namespace weft

template <>
struct std::hash<weft::Mac> {
  std::size_t operator()(weft::Mac m) const noexcept {
    return std::hash<std::uint64_t>{}(m.value());
  }
};
