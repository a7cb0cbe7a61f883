#include "osdep/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "osdep/errno_error.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::osdep {

namespace {

Result<std::string> read_fd(int fd, std::size_t max_bytes) {
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return from_errno(errno);
    }
    if (n == 0) return out;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) return Error::too_large;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return from_errno(errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<UniqueFd> open_read(const std::string& path) {
  UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd) return from_errno(errno);
  return fd;
}

}  // namespace

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  auto fd = open_read(path);
  if (!fd) return fd.error();
  return read_fd(fd->get(), max_bytes);
}

Result<std::string> read_secret_file(const std::string& path, std::size_t max_bytes) {
  auto fd = open_read(path);
  if (!fd) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return from_errno(errno);
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) return Error::insecure_permissions;
  return read_fd(fd->get(), max_bytes);
}

Result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode) {
  const std::filesystem::path target(path);
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmpXXXXXX")).string();

  UniqueFd fd{::mkostemp(tmp.data(), O_CLOEXEC)};  // created 0600
  if (!fd) return from_errno(errno);
  auto fail = [&](int err) -> Result<void> {
    ::unlink(tmp.c_str());
    return from_errno(err);
  };
  if (::fchmod(fd.get(), mode) != 0) return fail(errno);
  if (auto w = write_all(fd.get(), content); !w) {
    ::unlink(tmp.c_str());
    return w.error();
  }
  if (::fsync(fd.get()) != 0) return fail(errno);
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(errno);

  // Make the rename itself durable.
  UniqueFd dfd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dfd) ::fsync(dfd.get());
  return {};
}

Result<void> make_directories(const std::string& path, mode_t mode) {
  if (path.empty()) return Error::invalid_argument;
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) return from_errno(errno);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return from_errno(errno);
  if (!S_ISDIR(st.st_mode)) return Error::invalid_argument;
  return {};
}

}  // namespace weft::osdep
