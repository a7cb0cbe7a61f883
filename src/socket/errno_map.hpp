#pragma once

#include "base/error.hpp"

namespace weft::socket {

// The POSIX errno for an Error. The only place Error becomes errno.
int to_errno(Error e) noexcept;

}  // namespace weft::socket
