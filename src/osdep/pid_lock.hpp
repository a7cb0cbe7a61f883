#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/result.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::osdep {

// A pid file held under flock(LOCK_EX) for the owner's life: one process at
// a time may hold `path`. The kernel drops the lock when the holder dies, so a
// file left by a killed process never blocks the next one. The file is never
// unlinked (a process could otherwise lock an unlinked copy while a third
// creates and locks a new one); release empties it instead.
class PidLock {
 public:
  // Error::busy if another process holds it (holder() says which);
  // the file's open errors otherwise.
  static Result<PidLock> acquire(const std::string& path);
  // The pid written in the file, if it holds one.
  static std::optional<pid_t> holder(const std::string& path);

  PidLock(PidLock&&) noexcept = default;
  PidLock& operator=(PidLock&&) noexcept = default;
  ~PidLock();

 private:
  explicit PidLock(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace weft::osdep
