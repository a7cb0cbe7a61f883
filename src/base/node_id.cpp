#include "base/node_id.hpp"

#include "base/hex.hpp"

namespace weft {

Result<NodeId> NodeId::from_u64(std::uint64_t v) noexcept {
  if (!is_valid(v)) return Error::invalid_argument;
  return NodeId{v};
}

Result<NodeId> NodeId::from_bytes(std::span<const std::byte, kSize> b) noexcept {
  return from_u64(load_be40(b));
}

Result<NodeId> NodeId::parse(std::string_view text) noexcept {
  ByteArray<kSize> raw{};
  if (!from_hex(text, raw)) return Error::malformed;
  return from_bytes(raw);
}

ByteArray<NodeId::kSize> NodeId::to_bytes() const noexcept {
  ByteArray<kSize> out{};
  store_be40(out, v_);
  return out;
}

std::string NodeId::to_string() const { return to_hex(to_bytes()); }

}  // namespace weft
