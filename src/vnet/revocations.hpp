#pragma once

#include <cstdint>
#include <unordered_map>

#include "base/node_id.hpp"

namespace weft::vnet {

// A network's revocations as its controller published them: for a member, every
// credential issued at or before a threshold time is void. Deauthorising a member
// revokes its credentials up to "now" on the controller's clock, so the member's
// old credential stops working at once for everyone who has the revocation,
// without waiting for the credential to age out.
class Revocations {
 public:
  // Raises the member's threshold (never lowers it: a replayed, older revocation
  // changes nothing). Returns whether anything changed.
  bool revoke(NodeId member, std::uint64_t threshold_ms);
  // Drops the entry (the member was authorised again with a newer credential).
  void forget(NodeId member) { thresholds_.erase(member); }

  [[nodiscard]] bool covers(NodeId member, std::uint64_t issued_ms) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return thresholds_.size(); }

 private:
  std::unordered_map<NodeId, std::uint64_t> thresholds_;
};

}  // namespace weft::vnet
