// Statically linked programs are out of the preload's reach; weft run tells
// them apart by the ELF program interpreter.
#include "cli/elf_interpreter.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace weft::cli {
namespace {

// A minimal 64-bit little-endian ELF header with `phnum` program headers of
// the given types right after it.
Bytes elf64(std::initializer_list<std::uint32_t> types) {
  Bytes b(64 + 56 * types.size());
  const std::uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  for (std::size_t i = 0; i < sizeof ident; ++i) b[i] = std::byte{ident[i]};
  b[32] = std::byte{64};                                       // e_phoff
  b[54] = std::byte{56};                                       // e_phentsize
  b[56] = std::byte{static_cast<std::uint8_t>(types.size())};  // e_phnum
  std::size_t at = 64;
  for (std::uint32_t t : types) {
    b[at] = std::byte{static_cast<std::uint8_t>(t)};
    at += 56;
  }
  return b;
}

Bytes file_start(const char* path) {
  std::ifstream in(path, std::ios::binary);
  Bytes b(65536);
  in.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(b.size()));
  b.resize(static_cast<std::size_t>(in.gcount()));
  return b;
}

TEST(ElfInterpreter, LiteralHeaders) {
  EXPECT_TRUE(*elf_has_interpreter(elf64({6, 3, 1})));   // PHDR, INTERP, LOAD
  EXPECT_FALSE(*elf_has_interpreter(elf64({1, 1, 2})));  // LOAD, LOAD, DYNAMIC
  EXPECT_FALSE(*elf_has_interpreter(elf64({})));
}

TEST(ElfInterpreter, BadInputIsAnErrorNeverARead) {
  const Bytes good = elf64({6, 3});
  EXPECT_EQ(elf_has_interpreter(ByteSpan(good).first(60)).error(), Error::truncated);
  EXPECT_EQ(elf_has_interpreter(ByteSpan(good).first(64 + 56 + 10)).error(), Error::truncated);
  Bytes script(64, std::byte{'#'});
  EXPECT_EQ(elf_has_interpreter(script).error(), Error::malformed);
  Bytes wrong_class = good;
  wrong_class[4] = std::byte{3};
  EXPECT_EQ(elf_has_interpreter(wrong_class).error(), Error::malformed);
  Bytes far = good;
  far[39] = std::byte{0x7f};  // e_phoff beyond the image
  EXPECT_EQ(elf_has_interpreter(far).error(), Error::truncated);
  Bytes tiny_entries = good;
  tiny_entries[54] = std::byte{2};
  EXPECT_EQ(elf_has_interpreter(tiny_entries).error(), Error::malformed);
}

TEST(ElfInterpreter, ProgramsOnThisMachine) {
  EXPECT_TRUE(*elf_has_interpreter(file_start("/bin/sh")));
  // Debian links ldconfig statically.
  const Bytes ldconfig = file_start("/sbin/ldconfig");
  if (ldconfig.empty()) GTEST_SKIP() << "no /sbin/ldconfig";
  EXPECT_FALSE(*elf_has_interpreter(ldconfig));
}

}  // namespace
}  // namespace weft::cli
