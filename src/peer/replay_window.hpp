#pragma once

// The receive side's defence against replay: a sliding window over message
// counters (RFC 6479's ring of bitmap words). A counter is accepted once if it is
// newer than every counter seen, or within kWindow of the newest and not seen
// before; anything older, seen, or past kCounterLimit is rejected. 4,096 bits
// (512 bytes per session) leave 4,032 counters of reordering, so a fast path that
// reorders a few thousand packets is not mistaken for an attack.
//
// Use: is_fresh() before the AEAD (a cheap drop), mark() only after the AEAD
// verified, so forged packets can never move the window.

#include <array>
#include <cstdint>
#include <limits>

namespace weft::peer {

class ReplayWindow {
 public:
  static constexpr std::size_t kWordBits = 64;
  static constexpr std::size_t kWords = 64;
  static constexpr std::uint64_t kBits = kWords * kWordBits;
  // The newest word may be partly filled, so one word of the ring is not window.
  static constexpr std::uint64_t kWindow = kBits - kWordBits;
  // Counters from here on are never valid: the sender stops and rekeys before
  // (docs/protocol.md §5.1, WireGuard's REJECT_AFTER_MESSAGES).
  static constexpr std::uint64_t kCounterLimit =
      std::numeric_limits<std::uint64_t>::max() - (std::uint64_t{1} << 13U);

  [[nodiscard]] bool is_fresh(std::uint64_t counter) const noexcept;
  // Records counter as received; returns false (and changes nothing) if it was
  // not fresh.
  bool mark(std::uint64_t counter) noexcept;

  // One past the greatest counter marked (0 before any).
  [[nodiscard]] std::uint64_t top() const noexcept { return top_; }

 private:
  [[nodiscard]] bool bit(std::uint64_t counter) const noexcept;

  std::array<std::uint64_t, kWords> words_{};
  std::uint64_t top_{0};
};

}  // namespace weft::peer
