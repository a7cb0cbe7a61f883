#pragma once

// Moves the calling process into a network namespace of its own, so a test
// may create TAP devices, addresses and routes that nobody else sees and that
// vanish with the process (and the children it starts, which inherit it).
//
// Tried in order: unshare(CLONE_NEWNET) (root, or CAP_SYS_ADMIN); else a user
// namespace too (unshare -rn: an unprivileged user where the kernel allows
// it). Then loopback is brought up. Where none of it works, or /dev/net/tun is
// missing, the reason comes back and the test must be SKIPPED, never passed.
//
// Call it before the process starts any thread (a user namespace can only be
// entered single-threaded); it runs once per process and returns the first
// answer again afterwards.

#include <fcntl.h>
#include <linux/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace weft::test_support {

namespace detail {

inline bool write_proc(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

inline std::string enter() {
  if (::access("/dev/net/tun", R_OK | W_OK) != 0)
    return std::string("/dev/net/tun is not usable: ") + std::strerror(errno);
  if (::unshare(CLONE_NEWNET) != 0) {
    const int first = errno;
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
      return std::string("no network namespace: unshare(CLONE_NEWNET): ") + std::strerror(first) +
             "; with a user namespace: " + std::strerror(errno);
    if (!write_proc("/proc/self/setgroups", "deny") ||
        !write_proc("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
        !write_proc("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
      return "user namespace entered but its uid/gid maps could not be written";
  }
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return std::string("socket: ") + std::strerror(errno);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name - 1);
  bool up = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  up = up && ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  const int err = errno;
  ::close(s);
  if (!up) return std::string("cannot bring loopback up in the namespace: ") + std::strerror(err);
  return {};
}

}  // namespace detail

// Empty when the process is in its own network namespace; else why not.
inline const std::string& enter_private_netns() {
  static const std::string why_not = detail::enter();
  return why_not;
}

}  // namespace weft::test_support
