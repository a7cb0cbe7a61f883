#include "crypto/rng.hpp"

#include <sodium.h>

#include "crypto/random.hpp"
#include "crypto/sodium.hpp"

namespace weft::crypto {

std::uint32_t Rng::next_u32() noexcept {
  ByteArray<4> b{};
  fill(b);
  return load_le32(b);
}

std::uint64_t Rng::next_u64() noexcept {
  ByteArray<8> b{};
  fill(b);
  return load_le64(b);
}

void SystemRng::fill(MutableByteSpan out) noexcept { random_bytes(out); }

SeededRng::SeededRng(std::uint64_t seed) noexcept {
  store_le64(std::span<std::byte, 32>(seed_.mutable_bytes()).first<8>(), seed);
}

void SeededRng::fill(MutableByteSpan out) noexcept {
  ensure_sodium();
  // Each call derives its own seed from the base seed and a call counter, so the
  // stream does not restart at every call.
  ByteArray<8> n{};
  store_le64(n, calls_++);
  ByteArray<32> call_seed{};
  crypto_generichash(as_uchar(MutableByteSpan(call_seed)), call_seed.size(), as_uchar(ByteSpan(n)),
                     n.size(), as_uchar(seed_.span()), seed_.span().size());
  randombytes_buf_deterministic(out.data(), out.size(), as_uchar(ByteSpan(call_seed)));
  wipe(call_seed);
}

}  // namespace weft::crypto
