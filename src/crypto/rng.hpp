#pragma once

#include <cstdint>

#include "base/bytes.hpp"
#include "crypto/secret.hpp"

namespace weft::crypto {

// Where the cores get randomness (ephemeral keys, session indices, cookie
// secrets): passed in, like time, so the simulator and tests are deterministic.
class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(MutableByteSpan out) noexcept = 0;

  std::uint32_t next_u32() noexcept;
  std::uint64_t next_u64() noexcept;
  template <std::size_t N>
  ByteArray<N> bytes() noexcept {
    ByteArray<N> a{};
    fill(a);
    return a;
  }
};

// The operating system's CSPRNG (libsodium's randombytes, getrandom(2)).
class SystemRng final : public Rng {
 public:
  void fill(MutableByteSpan out) noexcept override;
};

// A ChaCha20 stream from a 32-byte seed (libsodium's
// randombytes_buf_deterministic): the same seed gives the same bytes. For tests
// and the simulator only: never for real keys.
class SeededRng final : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed) noexcept;
  void fill(MutableByteSpan out) noexcept override;

 private:
  Key32 seed_;
  std::uint64_t calls_{0};
};

}  // namespace weft::crypto
