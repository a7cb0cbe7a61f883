#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/node_id.hpp"
#include "base/result.hpp"

namespace weft {

// A 64-bit network id: the controller's 40-bit NodeId followed by a 24-bit number
// the controller chose, so any node knows which controller to ask for a config.
class NetworkId {
 public:
  static constexpr std::size_t kSize = 8;
  static constexpr std::uint32_t kMaxNumber = 0xff'ffff;

  static NetworkId make(NodeId controller, std::uint32_t number) noexcept;
  // Error::invalid_argument if the controller part is not a valid NodeId.
  static Result<NetworkId> from_u64(std::uint64_t v) noexcept;
  static Result<NetworkId> from_bytes(std::span<const std::byte, kSize> b) noexcept;
  // Exactly 16 hex digits.
  static Result<NetworkId> parse(std::string_view text) noexcept;

  [[nodiscard]] constexpr std::uint64_t value() const noexcept { return v_; }
  [[nodiscard]] NodeId controller() const noexcept;
  [[nodiscard]] constexpr std::uint32_t number() const noexcept {
    return static_cast<std::uint32_t>(v_ & kMaxNumber);
  }
  [[nodiscard]] ByteArray<kSize> to_bytes() const noexcept;
  [[nodiscard]] std::string to_string() const;

  constexpr auto operator<=>(const NetworkId&) const = default;

 private:
  constexpr explicit NetworkId(std::uint64_t v) : v_(v) {}
  std::uint64_t v_;
};

}  // namespace weft

template <>
struct std::hash<weft::NetworkId> {
  std::size_t operator()(weft::NetworkId id) const noexcept {
    return std::hash<std::uint64_t>{}(id.value());
  }
};
