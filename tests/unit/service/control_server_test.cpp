#include "service/control_server.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>

#include "osdep/unix_socket.hpp"

namespace weft::service {
namespace {

using nlohmann::json;

class FakeHandler final : public ControlHandler {
 public:
  FakeHandler() : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  json handle(const ControlRequest& request, ConnectionId /*from*/) override {
    ++calls;
    return {{"ok", true}, {"cmd", name(request.command)}, {"pad", std::string(pad, 'x')}};
  }
  [[nodiscard]] std::vector<int> watched_fds() const override { return {event_.get()}; }
  std::vector<Push> on_watched_fd(int /*fd*/) override {
    std::uint64_t n = 0;
    (void)!::read(event_.get(), &n, sizeof n);
    std::lock_guard lock(mutex_);
    watched += n;
    changed_.notify_all();
    return {};
  }
  void poke() {
    const std::uint64_t one = 1;
    (void)!::write(event_.get(), &one, sizeof one);
  }
  bool await_watched(std::uint64_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return watched >= n; });
  }

  std::atomic<int> calls{0};
  std::size_t pad{0};

 private:
  osdep::UniqueFd event_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t watched{0};
};

class Client {
 public:
  explicit Client(const std::string& path) : fd_(osdep::connect_unix(path).value()) {}
  void send(const std::string& s) {
    ASSERT_EQ(::send(fd_.get(), s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  // The next line, "" at EOF.
  std::string line() {
    while (true) {
      if (const auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      if (fill() <= 0) return "";
    }
  }
  // Reads to EOF; the bytes read (-1 if no EOF came).
  long drain() {
    long total = static_cast<long>(buf_.size());
    buf_.clear();
    while (true) {
      const long n = fill();
      if (n == 0) return total;
      if (n < 0) return -1;
      total += n;
      buf_.clear();
    }
  }

 private:
  long fill() {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 30000) != 1) return -1;
    char chunk[65536];
    const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
    if (n > 0) buf_.append(chunk, static_cast<std::size_t>(n));
    return n;
  }
  osdep::UniqueFd fd_;
  std::string buf_;
};

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-control-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/control.sock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::string path_;
};

TEST_F(ControlServerTest, AnswersInOrderAndStopRemovesTheSocket) {
  FakeHandler handler;
  auto server = ControlServer::start({.path = path_}, handler);
  ASSERT_TRUE(server) << message(server.error());
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  Client c(path_);
  c.send("{\"cmd\":\"status\"}\n{\"cmd\":\"peers\"}\r\n{\"cmd\":\"stats\"}\n");
  EXPECT_EQ(json::parse(c.line())["cmd"], "status");
  EXPECT_EQ(json::parse(c.line())["cmd"], "peers");
  EXPECT_EQ(json::parse(c.line())["cmd"], "stats");
  // A request split across writes.
  c.send("{\"cmd\":");
  c.send("\"networks\"}\n");
  EXPECT_EQ(json::parse(c.line())["cmd"], "networks");
  c.send("{\"cmd\":\"join\"}\n");  // refused without the handler; the connection stays
  EXPECT_EQ(json::parse(c.line())["errno"], "invalid_argument");
  c.send("{\"cmd\":\"status\"}\n");
  EXPECT_EQ(json::parse(c.line())["cmd"], "status");
  EXPECT_EQ(handler.calls.load(), 5);

  (*server)->stop();
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_EQ(c.line(), "");  // its connection was closed
}

TEST_F(ControlServerTest, AClientThatDoesNotReadIsCutOffAndOthersAreServed) {
  FakeHandler handler;
  handler.pad = 16 * 1024;
  auto server = ControlServer::start({.path = path_, .max_output = 256 * 1024}, handler);
  ASSERT_TRUE(server);
  Client greedy(path_);
  std::string requests;
  for (int i = 0; i < 100; ++i) requests += "{\"cmd\":\"status\"}\n";
  greedy.send(requests);

  Client other(path_);
  other.send("{\"cmd\":\"status\"}\n");
  EXPECT_EQ(json::parse(other.line())["ok"], true);

  const long got = greedy.drain();
  EXPECT_GE(got, 0) << "no EOF";
  EXPECT_LT(got, 100L * 16 * 1024);  // not every reply was kept for it
}

TEST_F(ControlServerTest, TheHandlersWatchedFdIsServed) {
  FakeHandler handler;
  auto server = ControlServer::start({.path = path_}, handler);
  ASSERT_TRUE(server);
  handler.poke();
  EXPECT_TRUE(handler.await_watched(1));
  handler.poke();
  EXPECT_TRUE(handler.await_watched(2));
}

TEST_F(ControlServerTest, RefusesToReplaceAFileThatIsNoSocket) {
  FakeHandler handler;
  std::FILE* f = std::fopen(path_.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  EXPECT_EQ(ControlServer::start({.path = path_}, handler).error(), Error::already_exists);
  EXPECT_TRUE(std::filesystem::is_regular_file(path_));
}

}  // namespace
}  // namespace weft::service
