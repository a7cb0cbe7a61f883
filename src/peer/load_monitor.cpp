#include "peer/load_monitor.hpp"

namespace weft::peer {

bool LoadMonitor::record(Instant now) noexcept {
  if (!started_ || now - window_start_ >= interval_ || now < window_start_) {
    window_start_ = now;
    count_ = 0;
    started_ = true;
  }
  if (count_ < UINT32_MAX) ++count_;
  return count_ > threshold_;
}

bool LoadMonitor::under_load(Instant now) const noexcept {
  return started_ && now - window_start_ < interval_ && count_ > threshold_;
}

}  // namespace weft::peer
