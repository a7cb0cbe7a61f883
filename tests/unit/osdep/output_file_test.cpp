#include "osdep/output_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "osdep/files.hpp"

namespace weft::osdep {
namespace {

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("weft-out-") + std::to_string(::getpid()) + "-" + name))
      .string();
}

TEST(OutputFile, WritesManyPiecesInOrderAndIsReadableWhileOpen) {
  const std::string path = temp_path("pieces");
  auto f = OutputFile::create(path, 0600);
  ASSERT_TRUE(f.ok());
  // More pieces than one writev takes, of varied sizes including empty ones.
  std::vector<Bytes> data;
  std::string expected;
  for (std::size_t i = 0; i < 300; ++i) {
    data.emplace_back(i % 7, static_cast<std::byte>('a' + i % 26));
    expected.append(i % 7, static_cast<char>('a' + i % 26));
  }
  std::vector<ByteSpan> pieces(data.begin(), data.end());
  ASSERT_TRUE(f->write(pieces).ok());
  EXPECT_EQ(read_file(path).value_or("?"), expected);
  ASSERT_TRUE(f->write(as_bytes(std::string_view("!"))).ok());
  EXPECT_EQ(read_file(path).value_or("?"), expected + "!");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  std::filesystem::remove(path);
}

TEST(OutputFile, CreateTruncatesAnExistingFile) {
  const std::string path = temp_path("trunc");
  ASSERT_TRUE(write_file_atomic(path, "old contents").ok());
  auto f = OutputFile::create(path);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->write(as_bytes(std::string_view("new"))).ok());
  EXPECT_EQ(read_file(path).value_or("?"), "new");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace weft::osdep
