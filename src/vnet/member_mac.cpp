#include "vnet/member_mac.hpp"

namespace weft::vnet {

namespace {

constexpr std::uint64_t kFirstOctetShift = 40;

std::uint64_t first_octet(NetworkId network) noexcept {
  std::uint64_t b = (network.value() & 0xfeU) | 0x02U;  // unicast, locally administered
  if (b == 0x52U) b = 0x32U;
  return b;
}

// 40 bits of the network id, folded so every bit of it changes the result.
std::uint64_t network_mask(NetworkId network) noexcept {
  const std::uint64_t v = network.value();
  return ((v >> 8U) ^ (v << 16U) ^ (v >> 40U)) & NodeId::kMask;
}

}  // namespace

Mac MemberMac::derive(NetworkId network, NodeId node) noexcept {
  const std::uint64_t v =
      (first_octet(network) << kFirstOctetShift) | (node.value() ^ network_mask(network));
  return Mac::from_u64(v).value();  // 48 bits by construction
}

std::optional<NodeId> MemberMac::member_of(NetworkId network, Mac mac) noexcept {
  if ((mac.value() >> kFirstOctetShift) != first_octet(network)) return std::nullopt;
  auto node = NodeId::from_u64((mac.value() & NodeId::kMask) ^ network_mask(network));
  if (!node) return std::nullopt;
  return *node;
}

}  // namespace weft::vnet
