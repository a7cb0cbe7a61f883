#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace weft::cli {

// Whether an ELF executable names a program interpreter (PT_INTERP, the
// dynamic loader). One that does not is statically linked: LD_PRELOAD cannot
// reach its socket calls, so `weft run` warns that its sockets stay the
// kernel's. `image` is the file's start (at least its program headers);
// Error::malformed if it is not ELF or its headers lie outside `image`.
Result<bool> elf_has_interpreter(ByteSpan image) noexcept;

}  // namespace weft::cli
