#include "crypto/x25519.hpp"

#include <sodium.h>

#include <atomic>

#include "crypto/sodium.hpp"

namespace weft::crypto {

namespace {
std::atomic<std::uint64_t> g_x25519{0};
}  // namespace

void count_x25519() noexcept { g_x25519.fetch_add(1, std::memory_order_relaxed); }
std::uint64_t x25519_operations() noexcept { return g_x25519.load(std::memory_order_relaxed); }

EphemeralKey EphemeralKey::from_seed(const ByteArray<32>& random) noexcept {
  ensure_sodium();
  EphemeralKey k{Key32{random}, {}};
  crypto_scalarmult_base(as_uchar(MutableByteSpan(k.public_key)), as_uchar(k.secret.span()));
  count_x25519();
  return k;
}

Result<Key32> x25519(const Key32& secret, const PublicKey& peer) noexcept {
  ensure_sodium();
  count_x25519();
  Key32 out;
  if (crypto_scalarmult(as_uchar(MutableByteSpan(out.mutable_bytes())), as_uchar(secret.span()),
                        as_uchar(ByteSpan(peer))) != 0)
    return Error::verification_failed;
  return out;
}

}  // namespace weft::crypto
