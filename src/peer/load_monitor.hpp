#pragma once

// Decides when the responder is "under load": more than `threshold` handshake
// messages in the current fixed interval. Under load, handshake messages without
// a valid cookie MAC are answered with a cookie reply and no Diffie-Hellman.

#include <cstdint>

#include "base/instant.hpp"

namespace weft::peer {

class LoadMonitor {
 public:
  LoadMonitor(std::uint32_t threshold, Duration interval) noexcept
      : threshold_(threshold), interval_(interval) {}

  // Counts one handshake message at now; true if the count in this interval
  // is over the threshold (this message included).
  bool record(Instant now) noexcept;
  [[nodiscard]] bool under_load(Instant now) const noexcept;

 private:
  std::uint32_t threshold_;
  Duration interval_;
  Instant window_start_{};
  std::uint32_t count_{0};
  bool started_{false};
};

}  // namespace weft::peer
