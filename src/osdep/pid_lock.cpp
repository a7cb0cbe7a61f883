#include "osdep/pid_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "osdep/errno_error.hpp"
#include "osdep/files.hpp"

namespace weft::osdep {

Result<PidLock> PidLock::acquire(const std::string& path) {
  UniqueFd fd{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)};
  if (!fd) return from_errno(errno);
  int rc = 0;
  do {
    rc = ::flock(fd.get(), LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return errno == EWOULDBLOCK ? Error::busy : from_errno(errno);
  const std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0) return from_errno(errno);
  if (::pwrite(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return Error::io;
  return PidLock(std::move(fd));
}

std::optional<pid_t> PidLock::holder(const std::string& path) {
  auto text = read_file(path, 64);
  if (!text) return std::nullopt;
  pid_t pid = 0;
  const char* end = text->data() + text->size();
  const auto [p, ec] = std::from_chars(text->data(), end, pid);
  if (ec != std::errc{} || pid <= 0 || (p != end && *p != '\n')) return std::nullopt;
  return pid;
}

PidLock::~PidLock() {
  // Still locked: nobody else can be writing it.
  if (fd_) {
    [[maybe_unused]] const int rc = ::ftruncate(fd_.get(), 0);
  }
}

}  // namespace weft::osdep
