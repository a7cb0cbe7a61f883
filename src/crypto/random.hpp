#pragma once

#include "base/bytes.hpp"

namespace weft::crypto {

// Cryptographically secure random bytes (libsodium: getrandom(2) underneath).
void random_bytes(MutableByteSpan out) noexcept;

}  // namespace weft::crypto
