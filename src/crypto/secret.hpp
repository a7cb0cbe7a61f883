#pragma once

#include <cstddef>

#include "base/bytes.hpp"

namespace weft::crypto {

// Overwrites memory in a way the optimiser may not remove (sodium_memzero).
void wipe(MutableByteSpan bytes) noexcept;

// A fixed-size secret that is wiped when it dies or is moved from. Session and
// handshake keys live in these, never in a plain ByteArray.
template <std::size_t N>
class Secret {
 public:
  Secret() = default;
  explicit Secret(const ByteArray<N>& bytes) noexcept : b_(bytes) {}
  Secret(const Secret& o) noexcept : b_(o.b_) {}
  Secret& operator=(const Secret& o) noexcept {
    b_ = o.b_;
    return *this;
  }
  Secret(Secret&& o) noexcept : b_(o.b_) { wipe(o.b_); }
  Secret& operator=(Secret&& o) noexcept {
    if (this != &o) {
      b_ = o.b_;
      wipe(o.b_);
    }
    return *this;
  }
  ~Secret() { wipe(b_); }

  [[nodiscard]] const ByteArray<N>& bytes() const noexcept { return b_; }
  [[nodiscard]] ByteArray<N>& mutable_bytes() noexcept { return b_; }
  [[nodiscard]] ByteSpan span() const noexcept { return b_; }

 private:
  ByteArray<N> b_{};
};

using Key32 = Secret<32>;

}  // namespace weft::crypto
