#include "crypto/random.hpp"

#include <sodium.h>

#include "crypto/sodium.hpp"

namespace weft::crypto {

void random_bytes(MutableByteSpan out) noexcept {
  ensure_sodium();
  randombytes_buf(out.data(), out.size());
}

}  // namespace weft::crypto
