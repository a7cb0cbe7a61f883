// The suite's main: GoogleTest's, except that the process ends with _Exit.
// Weft's stack threads cannot be stopped (lwIP has no shutdown) and keep running
// through exit(), while exit() destroys the statics they use: a use-after-free
// in stack/lwip (docs/conformance.md, "Other bugs found"). Skipping static
// destruction keeps that bug from failing every case at exit; LeakSanitizer,
// which would have run at exit, runs here explicitly.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
#if defined(__SANITIZE_ADDRESS__)
  if (__lsan_do_recoverable_leak_check() != 0) rc = 1;
#endif
  std::fflush(nullptr);
  std::_Exit(rc);
}
