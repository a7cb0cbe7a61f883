#include "base/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace weft::detail {

void check_failed(const char* expr, const char* file, int line) noexcept {
  // No allocation and no logger: the process may be in any state here.
  std::fprintf(stderr, "weft: check failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace weft::detail
