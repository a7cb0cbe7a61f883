#include "crypto/random.hpp"

#include <sodium.h>

#include "crypto/sodium.hpp"

namespace weft::crypto {

void random_bytes(MutableByteSpan out) noexcept {
  ensure_sodium();
  randombytes_buf(out.data(), out.size());
}

std::uint64_t random_u64() noexcept {
  ByteArray<8> b{};
  random_bytes(b);
  return load_le64(b);
}

}  // namespace weft::crypto
