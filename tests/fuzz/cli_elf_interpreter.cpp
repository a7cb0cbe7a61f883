// weft run's ELF check reads the start of any file it is asked to run: no
// crash and no read out of bounds on any bytes.
#include <cstdint>

#include "cli/elf_interpreter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)weft::cli::elf_has_interpreter(
      weft::ByteSpan(reinterpret_cast<const std::byte*>(data), size));  // NOLINT
  return 0;
}
