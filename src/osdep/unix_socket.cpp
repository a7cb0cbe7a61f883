#include "osdep/unix_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "osdep/errno_error.hpp"

namespace weft::osdep {

namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.find('\0') != std::string::npos) return Error::invalid_argument;
  if (path.size() >= sizeof sa.sun_path) return Error::too_large;
  std::memcpy(sa.sun_path, path.data(), path.size());
  return sa;
}

}  // namespace

Result<UniqueFd> listen_unix(const std::string& path, int backlog) {
  auto sa = unix_address(path);
  if (!sa) return sa.error();
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return Error::already_exists;
    if (::unlink(path.c_str()) != 0) return from_errno(errno);
  }
  UniqueFd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (!fd) return from_errno(errno);
  // umask is per process: another thread creating a file meanwhile gets 0177
  // too, which is never wider than it asked for.
  const mode_t old = ::umask(0177);
  const int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa);
  const int bind_errno = errno;
  ::umask(old);
  if (rc != 0) return from_errno(bind_errno);
  if (::lstat(path.c_str(), &st) != 0) return from_errno(errno);
  if ((st.st_mode & 0777) != 0600 || st.st_uid != ::geteuid()) {
    ::unlink(path.c_str());
    return Error::insecure_permissions;
  }
  if (::listen(fd.get(), backlog) != 0) {
    const int e = errno;
    ::unlink(path.c_str());
    return from_errno(e);
  }
  return fd;
}

Result<UniqueFd> connect_unix(const std::string& path) {
  auto sa = unix_address(path);
  if (!sa) return sa.error();
  UniqueFd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!fd) return from_errno(errno);
  int rc = 0;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return from_errno(errno);
  return fd;
}

Result<uid_t> peer_uid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return from_errno(errno);
  return cred.uid;
}

}  // namespace weft::osdep
