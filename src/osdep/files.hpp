#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace weft::osdep {

// Reads a whole file of at most max_bytes (Error::too_large beyond).
// Error::not_found, Error::permission_denied or Error::io otherwise.
Result<std::string> read_file(const std::string& path, std::size_t max_bytes = 1 << 20);

// As read_file, but refuses (Error::insecure_permissions) a file that group or
// others may read or write: a secret that leaked is not silently used.
Result<std::string> read_secret_file(const std::string& path, std::size_t max_bytes = 1 << 16);

// Writes content so that readers see the old file or the new one, never a mix:
// a temporary file in the same directory, fsync, rename, fsync of the directory.
// The file is created with `mode` (0600 for secrets) before any byte is written.
Result<void> write_file_atomic(const std::string& path, std::string_view content,
                               mode_t mode = 0644);

// Creates the directory (and missing parents) with `mode`; an existing
// directory is fine. Error::invalid_argument if the path exists and is not one.
Result<void> make_directories(const std::string& path, mode_t mode = 0700);

}  // namespace weft::osdep
