#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <vector>

#include "base/bytes.hpp"
#include "wire/intercept_message.hpp"

namespace weft::intercept {

// Which addresses are virtual: the prefixes of the daemon's networks (only
// those of $WEFT_NETWORKS when set: comma-separated network ids in hex).
// $WEFT_PREFIXES ("10.147.17.0/24,fd00::/64", set by `weft run`) gives the
// answer before the daemon is asked, so a program whose daemon has died still
// knows what is virtual and fails those sockets instead of sending them to
// the kernel. A miss asks the daemon again, at most once a second.
class Routes {
 public:
  static Routes& instance();
  [[nodiscard]] bool is_virtual(bool ipv6, const ByteArray<16>& address);

 private:
  Routes();
  void refresh_locked();
  [[nodiscard]] bool match_locked(bool ipv6, const ByteArray<16>& address) const;

  std::mutex mu_;
  std::vector<wire::VirtualPrefix> prefixes_;
  std::set<std::uint64_t> networks_;  // empty: all
  std::chrono::steady_clock::time_point asked_{};
  bool ever_asked_{false};
};

}  // namespace weft::intercept
