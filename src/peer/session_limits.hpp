#pragma once

// When a session must be replaced and when it must no longer be used.
// Defaults are WireGuard's (docs/protocol.md §5.1); tests shrink them.

#include <cstdint>

#include "base/instant.hpp"
#include "peer/replay_window.hpp"

namespace weft::peer {

struct SessionLimits {
  // The sender starts a new handshake after this many messages or this age ...
  std::uint64_t rekey_after_messages = std::uint64_t{1} << 60U;
  Duration rekey_after_time = 120s;
  // ... and stops using the session at these, whatever happens.
  std::uint64_t reject_after_messages = ReplayWindow::kCounterLimit;
  Duration reject_after_time = 180s;
  // A replaced session still decrypts for this long, so packets already in
  // flight under the old keys are not lost.
  Duration previous_grace = 10s;
  // A handshake not answered in this time is sent again (new ephemeral) ...
  Duration rekey_timeout = 5s;
  // ... until this much time has passed; then queued packets are dropped.
  Duration rekey_attempt_time = 90s;
  // With traffic received but nothing sent for this long, send a keepalive.
  Duration keepalive_timeout = 10s;
};

}  // namespace weft::peer
