#include "crypto/sodium.hpp"

#include <sodium.h>

#include "base/assert.hpp"

namespace weft::crypto {

void ensure_sodium() noexcept {
  static const int rc = sodium_init();  // 0 first time, 1 if already done
  WEFT_CHECK(rc >= 0);
}

}  // namespace weft::crypto
