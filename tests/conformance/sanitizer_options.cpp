// ThreadSanitizer options for the suite's two programs. Both end with _Exit
// (see main.cpp, peer_main.cpp), which skips the exit-time hook where TSan
// would turn earlier reports into a failing exit status: so stop at the first
// report instead. Nothing is suppressed: a race is fixed, not hidden.

#if defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1";
}
#endif
