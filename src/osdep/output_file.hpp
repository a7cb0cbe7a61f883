#pragma once

#include <sys/types.h>

#include <span>
#include <string>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::osdep {

// A file written front to back with unbuffered writes: once write() returns,
// the bytes are in the kernel and any reader sees them (a capture file can be
// read while it grows). Not synchronised: one writer at a time.
class OutputFile {
 public:
  // Creates or truncates `path`, created with `mode`.
  static Result<OutputFile> create(const std::string& path, mode_t mode = 0644) noexcept;

  // Writes all pieces, in order, with as few writev calls as the kernel allows.
  Result<void> write(std::span<const ByteSpan> pieces) noexcept;
  Result<void> write(ByteSpan bytes) noexcept { return write(std::span(&bytes, 1)); }

 private:
  explicit OutputFile(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace weft::osdep
