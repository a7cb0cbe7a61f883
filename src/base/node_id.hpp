#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft {

// A node's 40-bit address, derived from its public keys (crypto/identity.hpp).
// Zero and addresses starting with 0xff are reserved and never valid.
class NodeId {
 public:
  static constexpr std::size_t kSize = 5;
  static constexpr std::uint64_t kMask = 0xff'ffff'ffffULL;

  // Error::invalid_argument unless v fits 40 bits and is not reserved.
  static Result<NodeId> from_u64(std::uint64_t v) noexcept;
  static Result<NodeId> from_bytes(std::span<const std::byte, kSize> b) noexcept;
  // Exactly 10 hex digits (Error::malformed), not reserved (Error::invalid_argument).
  static Result<NodeId> parse(std::string_view text) noexcept;

  static constexpr bool is_valid(std::uint64_t v) noexcept {
    return v != 0 && v <= kMask && (v >> 32U) != 0xffU;
  }

  [[nodiscard]] constexpr std::uint64_t value() const noexcept { return v_; }
  [[nodiscard]] ByteArray<kSize> to_bytes() const noexcept;
  [[nodiscard]] std::string to_string() const;

  constexpr auto operator<=>(const NodeId&) const = default;

 private:
  constexpr explicit NodeId(std::uint64_t v) : v_(v) {}
  std::uint64_t v_;
};

}  // namespace weft

template <>
struct std::hash<weft::NodeId> {
  std::size_t operator()(weft::NodeId id) const noexcept {
    return std::hash<std::uint64_t>{}(id.value());
  }
};
