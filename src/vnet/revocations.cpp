#include "vnet/revocations.hpp"

namespace weft::vnet {

bool Revocations::revoke(NodeId member, std::uint64_t threshold_ms) {
  auto [it, inserted] = thresholds_.try_emplace(member, threshold_ms);
  if (inserted) return true;
  if (threshold_ms <= it->second) return false;
  it->second = threshold_ms;
  return true;
}

bool Revocations::covers(NodeId member, std::uint64_t issued_ms) const noexcept {
  const auto it = thresholds_.find(member);
  return it != thresholds_.end() && issued_ms <= it->second;
}

}  // namespace weft::vnet
