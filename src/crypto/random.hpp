#pragma once

#include <cstdint>

#include "base/bytes.hpp"

namespace weft::crypto {

// Cryptographically secure random bytes (libsodium: getrandom(2) underneath).
void random_bytes(MutableByteSpan out) noexcept;
[[nodiscard]] std::uint64_t random_u64() noexcept;

}  // namespace weft::crypto
