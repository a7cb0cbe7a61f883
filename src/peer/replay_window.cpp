#include "peer/replay_window.hpp"

#include <algorithm>

namespace weft::peer {

bool ReplayWindow::bit(std::uint64_t counter) const noexcept {
  const auto word = words_[(counter / kWordBits) % kWords];
  return ((word >> (counter % kWordBits)) & 1U) != 0;
}

bool ReplayWindow::is_fresh(std::uint64_t counter) const noexcept {
  if (counter >= kCounterLimit) return false;
  if (counter >= top_) return true;
  if (top_ - counter > kWindow) return false;
  return !bit(counter);
}

bool ReplayWindow::mark(std::uint64_t counter) noexcept {
  if (!is_fresh(counter)) return false;
  if (counter >= top_) {
    const std::uint64_t new_word = counter / kWordBits;
    if (top_ != 0) {
      // Words between the old newest and the new one hold counters that are now
      // either unseen (inside the window) or out of it: clear them.
      const std::uint64_t old_word = (top_ - 1) / kWordBits;
      const std::uint64_t steps = std::min<std::uint64_t>(new_word - old_word, kWords);
      for (std::uint64_t i = 1; i <= steps; ++i) words_[(old_word + i) % kWords] = 0;
    }
    top_ = counter + 1;
  }
  words_[(counter / kWordBits) % kWords] |= std::uint64_t{1} << (counter % kWordBits);
  return true;
}

}  // namespace weft::peer
