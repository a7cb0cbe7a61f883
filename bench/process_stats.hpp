#pragma once

// What the benchmarks read about a process (their own, or a child or daemon
// they started) from the kernel.

#include <sys/types.h>
#include <time.h>

#include <fstream>
#include <string>

namespace weft::bench {

// CPU time `pid` has used, seconds: all its threads, those that have exited
// too, at the kernel's nanosecond resolution (a process CPU clock, not
// /proc/PID/stat's clock ticks, which a short phase would round to nothing).
// -1 if it is gone.
inline double cpu_seconds(pid_t pid) {
  clockid_t clock{};
  timespec t{};
  if (::clock_getcpuclockid(pid, &clock) != 0 || ::clock_gettime(clock, &t) != 0) return -1;
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// VmRSS of a process, KiB; -1 if it is gone.
inline long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kib = -1;
      in >> kib;
      return kib;
    }
    in.ignore(4096, '\n');
  }
  return -1;
}

}  // namespace weft::bench
