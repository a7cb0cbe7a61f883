#pragma once

// Three levels, after Envoy:
//   WEFT_ASSERT(c)  debug builds only; documents an invariant of our own code.
//   WEFT_CHECK(c)   always on; a broken invariant of our own code, abort with location.
//   WEFT_UNREACHABLE()  marks code no input can reach.
// Never assert on anything the network, a file or an API caller controls: those are
// errors returned as Result, counted, and survived.

namespace weft::detail {
[[noreturn]] void check_failed(const char* expr, const char* file, int line) noexcept;
}  // namespace weft::detail

#define WEFT_CHECK(cond)                                       \
  do {                                                         \
    if (!(cond)) [[unlikely]]                                  \
      ::weft::detail::check_failed(#cond, __FILE__, __LINE__); \
  } while (false)

#ifdef NDEBUG
#define WEFT_ASSERT(cond) \
  do {                    \
  } while (false && (cond))
#else
#define WEFT_ASSERT(cond) WEFT_CHECK(cond)
#endif

#define WEFT_UNREACHABLE() ::weft::detail::check_failed("unreachable", __FILE__, __LINE__)
