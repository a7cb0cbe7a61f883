#pragma once

// Whether this test was built optimised and without a sanitizer. Under a
// sanitizer, or unoptimised, a gigabyte through the stack takes minutes (the
// whole suite across the ci, asan and tsan presets has about 15 minutes on 2
// cores), so the largest transfers run only in full-speed builds; smaller ones
// cover the same paths everywhere.

namespace weft::test_support {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(__OPTIMIZE__)
inline constexpr bool kFullSpeedBuild = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kFullSpeedBuild = false;
#else
inline constexpr bool kFullSpeedBuild = true;
#endif
#else
inline constexpr bool kFullSpeedBuild = true;
#endif

}  // namespace weft::test_support
