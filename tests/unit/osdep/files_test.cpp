#include "osdep/files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

namespace weft::osdep {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-files-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return dir_ + "/" + name; }
  static mode_t mode_of(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 0777;
  }
  std::string dir_;
};

TEST_F(FilesTest, AtomicWriteCreatesFileWithModeAndContent) {
  ASSERT_TRUE(write_file_atomic(path("secret"), "hello\n", 0600));
  EXPECT_EQ(mode_of(path("secret")), 0600U);
  EXPECT_EQ(*read_file(path("secret")), "hello\n");
  ASSERT_TRUE(write_file_atomic(path("secret"), "replaced", 0600));
  EXPECT_EQ(*read_secret_file(path("secret")), "replaced");
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(FilesTest, SecretReadableByOthersIsRefused) {
  ASSERT_TRUE(write_file_atomic(path("s"), "k", 0640));
  EXPECT_EQ(read_secret_file(path("s")).error(), Error::insecure_permissions);
  ASSERT_EQ(::chmod(path("s").c_str(), 0604), 0);
  EXPECT_EQ(read_secret_file(path("s")).error(), Error::insecure_permissions);
  ASSERT_EQ(::chmod(path("s").c_str(), 0600), 0);
  EXPECT_EQ(*read_secret_file(path("s")), "k");
}

TEST_F(FilesTest, MissingAndOversizedFilesAreErrors) {
  EXPECT_EQ(read_file(path("none")).error(), Error::not_found);
  ASSERT_TRUE(write_file_atomic(path("big"), std::string(100, 'x')));
  EXPECT_EQ(read_file(path("big"), 99).error(), Error::too_large);
  EXPECT_EQ(read_file(path("big"), 100)->size(), 100U);
}

TEST_F(FilesTest, WriteIntoMissingDirectoryFails) {
  EXPECT_EQ(write_file_atomic(dir_ + "/no/such/dir/f", "x").error(), Error::not_found);
}

}  // namespace
}  // namespace weft::osdep
