#include "osdep/output_file.hpp"

#include <fcntl.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>

#include "osdep/errno_error.hpp"

namespace weft::osdep {

namespace {
constexpr std::size_t kMaxIov = 128;
}  // namespace

Result<OutputFile> OutputFile::create(const std::string& path, mode_t mode) noexcept {
  UniqueFd fd{::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)};
  if (!fd) return from_errno(errno);
  return OutputFile(std::move(fd));
}

Result<void> OutputFile::write(std::span<const ByteSpan> pieces) noexcept {
  std::size_t next = 0;  // first piece not yet fully written
  std::size_t skip = 0;  // bytes of pieces[next] already written
  while (next < pieces.size()) {
    std::array<iovec, kMaxIov> iov{};
    std::size_t n = 0;
    for (std::size_t i = next; i < pieces.size() && n < kMaxIov; ++i) {
      const ByteSpan p = i == next ? pieces[i].subspan(skip) : pieces[i];
      iov[n++] = {const_cast<std::byte*>(p.data()), p.size()};  // NOLINT: writev only reads
    }
    const ssize_t w = ::writev(fd_.get(), iov.data(), static_cast<int>(n));
    if (w < 0) {
      if (errno == EINTR) continue;
      return from_errno(errno);
    }
    // Advance past what was written (a short write stops inside a piece).
    auto left = static_cast<std::size_t>(w);
    while (next < pieces.size()) {
      const std::size_t rest = pieces[next].size() - skip;
      if (left < rest) {
        skip += left;
        break;
      }
      left -= rest;
      ++next;
      skip = 0;
    }
  }
  return {};
}

}  // namespace weft::osdep
