#include "crypto/secret.hpp"

#include <sodium.h>

namespace weft::crypto {

void wipe(MutableByteSpan bytes) noexcept { sodium_memzero(bytes.data(), bytes.size()); }

}  // namespace weft::crypto
