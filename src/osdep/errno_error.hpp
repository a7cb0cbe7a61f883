#pragma once

#include "base/error.hpp"

namespace weft::osdep {

// The Error for an errno value from a system call.
Error from_errno(int err) noexcept;

}  // namespace weft::osdep
