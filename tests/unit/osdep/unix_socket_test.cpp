#include "osdep/unix_socket.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "osdep/pid_lock.hpp"

namespace weft::osdep {
namespace {

class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/weft-unix-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(UnixSocket, ListensOwnerOnlyAndConnects) {
  ScratchDir dir;
  const std::string path = dir.path() + "/s.sock";
  ::umask(0);  // the socket must not depend on the caller's umask
  auto l = listen_unix(path);
  ::umask(022);
  ASSERT_TRUE(l) << message(l.error());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto c = connect_unix(path);
  ASSERT_TRUE(c);
  auto uid = peer_uid(c->get());
  ASSERT_TRUE(uid);
  EXPECT_EQ(*uid, ::geteuid());

  // A stale socket is replaced; a regular file is not touched.
  l->reset();
  EXPECT_EQ(connect_unix(path).error(), Error::connection_refused);
  EXPECT_TRUE(listen_unix(path));
  const std::string file = dir.path() + "/file";
  std::ofstream(file) << "keep";
  EXPECT_EQ(listen_unix(file).error(), Error::already_exists);
  EXPECT_EQ(connect_unix(dir.path() + "/none").error(), Error::not_found);
  EXPECT_EQ(listen_unix(dir.path() + "/" + std::string(200, 'x')).error(), Error::too_large);
}

TEST(PidLock, OneHolderAtATimeAndTheFileSaysWho) {
  ScratchDir dir;
  const std::string path = dir.path() + "/x.pid";
  {
    auto first = PidLock::acquire(path);
    ASSERT_TRUE(first);
    EXPECT_EQ(PidLock::holder(path), ::getpid());
    // flock locks belong to the open file: a second open is refused even here.
    EXPECT_EQ(PidLock::acquire(path).error(), Error::busy);
  }
  EXPECT_EQ(PidLock::holder(path), std::nullopt);  // emptied on release
  EXPECT_TRUE(PidLock::acquire(path));
}

}  // namespace
}  // namespace weft::osdep
