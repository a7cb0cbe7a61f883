#include "base/network_id.hpp"

#include "base/hex.hpp"

namespace weft {

NetworkId NetworkId::make(NodeId controller, std::uint32_t number) noexcept {
  return NetworkId{(controller.value() << 24U) | (number & kMaxNumber)};
}

Result<NetworkId> NetworkId::from_u64(std::uint64_t v) noexcept {
  if (!NodeId::is_valid(v >> 24U)) return Error::invalid_argument;
  return NetworkId{v};
}

Result<NetworkId> NetworkId::from_bytes(std::span<const std::byte, kSize> b) noexcept {
  return from_u64(load_be64(b));
}

Result<NetworkId> NetworkId::parse(std::string_view text) noexcept {
  ByteArray<kSize> raw{};
  if (!from_hex(text, raw)) return Error::malformed;
  return from_bytes(raw);
}

NodeId NetworkId::controller() const noexcept {
  // Valid by construction: every constructor checked the controller part.
  return NodeId::from_u64(v_ >> 24U).value();
}

ByteArray<NetworkId::kSize> NetworkId::to_bytes() const noexcept {
  ByteArray<kSize> out{};
  store_be64(out, v_);
  return out;
}

std::string NetworkId::to_string() const { return to_hex(to_bytes()); }

}  // namespace weft
