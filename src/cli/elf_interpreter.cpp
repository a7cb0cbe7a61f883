#include "cli/elf_interpreter.hpp"

#include <cstdint>

namespace weft::cli {

namespace {

constexpr std::uint32_t kPtInterp = 3;

// Little- or big-endian unsigned integer of `n` bytes at `at`; the caller
// checked the range.
std::uint64_t load(ByteSpan b, std::size_t at, std::size_t n, bool little) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto byte = std::to_integer<std::uint64_t>(b[at + (little ? n - 1 - i : i)]);
    v = (v << 8) | byte;
  }
  return v;
}

}  // namespace

Result<bool> elf_has_interpreter(ByteSpan image) noexcept {
  // e_ident: 0x7f 'E' 'L' 'F', class (1: 32-bit, 2: 64-bit), data (1: LE, 2: BE).
  if (image.size() < 16 || image[0] != std::byte{0x7f} || image[1] != std::byte{'E'} ||
      image[2] != std::byte{'L'} || image[3] != std::byte{'F'})
    return Error::malformed;
  const auto elf_class = std::to_integer<unsigned>(image[4]);
  const auto data = std::to_integer<unsigned>(image[5]);
  if ((elf_class != 1 && elf_class != 2) || (data != 1 && data != 2)) return Error::malformed;
  const bool wide = elf_class == 2;
  const bool little = data == 1;
  // e_phoff, e_phentsize, e_phnum; a program header's p_type is its first 4 bytes.
  const std::size_t header_size = wide ? 64 : 52;
  if (image.size() < header_size) return Error::truncated;
  const std::uint64_t phoff = wide ? load(image, 32, 8, little) : load(image, 28, 4, little);
  const std::uint64_t phentsize = load(image, wide ? 54 : 42, 2, little);
  const std::uint64_t phnum = load(image, wide ? 56 : 44, 2, little);
  if (phentsize < 4) return phnum == 0 ? Result<bool>(false) : Result<bool>(Error::malformed);
  if (phoff > image.size() || phnum > (image.size() - phoff) / phentsize) return Error::truncated;
  for (std::uint64_t i = 0; i < phnum; ++i) {
    const auto at = static_cast<std::size_t>(phoff + i * phentsize);
    if (load(image, at, 4, little) == kPtInterp) return true;
  }
  return false;
}

}  // namespace weft::cli
