// The node service (weftd with no role flag) as a process: the weft CLI drives
// it over the control socket (join, networks, peers, status), a second daemon
// on the same state directory is refused, SIGTERM stops it cleanly and a
// restart rejoins, and hostile control clients (garbage, over-long lines,
// floods, another uid) leave it answering.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/child_process.hpp"
#include "integration/lab.hpp"

namespace weft::integration {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Outcome {
  int code{-1};
  std::string out;  // stdout and stderr together
};

// A command to its end, stderr folded into stdout.
Outcome run(std::vector<std::string> argv) {
  std::vector<std::string> sh{"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"};
  sh.insert(sh.end(), argv.begin(), argv.end());
  auto p = ChildProcess::spawn(sh);
  if (!p) return {};
  Outcome r;
  r.out = p->read_to_end();
  r.code = p->wait_exit();
  return r;
}

// A raw client of the control socket.
class RawClient {
 public:
  explicit RawClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }
  bool send(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }
  // The next line; "" and eof() once the daemon closed the connection.
  std::string line() {
    while (true) {
      if (const auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 30000) != 1) return "";
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        eof_ = true;
        return "";
      }
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  bool closed() {
    const std::string rest = line();
    return rest.empty() && eof_;
  }

 private:
  int fd_{-1};
  bool connected_{false};
  bool eof_{false};
  std::string buf_;
};

class NodeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = std::make_unique<Lab>(WEFT_WEFTD_PATH, WEFT_CLI_PATH);
    ASSERT_TRUE(lab_->ready());
    state_ = lab_->dir() + "/node";
  }
  void TearDown() override {
    daemon_.reset();
    lab_.reset();
  }

  // Starts weftd's node service on state_; its "node" and "control" lines.
  bool start_daemon(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{WEFT_WEFTD_PATH, "--state",    state_,           "--listen",
                                  "127.0.0.1:0",   "--use-root", lab_->root_line()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    daemon_ = ChildProcess::spawn(argv, ChildProcess::Ending::terminate);
    if (!daemon_) return false;
    const auto node = words(daemon_->expect_line("node "));
    const auto control = words(daemon_->expect_line("control "));
    if (node.size() != 2 || control.size() != 2) return false;
    const auto at = node[1].rfind('@');
    identity_ = node[1].substr(0, at);
    endpoint_ = node[1].substr(at + 1);
    address_ = identity_.substr(0, 10);
    socket_ = control[1];
    return true;
  }

  Outcome weft(std::vector<std::string> args) {
    args.insert(args.begin(), WEFT_CLI_PATH);
    args.insert(args.end(), {"--state", state_});
    return run(args);
  }
  json weft_json(std::vector<std::string> args) {
    args.emplace_back("--json");
    const Outcome r = weft(args);
    EXPECT_EQ(r.code, 0) << r.out;
    return json::parse(r.out, nullptr, false);
  }
  // Asks until `done` holds for the reply (the controller and the root answer
  // within a few round trips; bounded so a failure cannot hang the suite).
  template <typename Done>
  json await(const std::vector<std::string>& args, Done done) {
    json j;
    for (int i = 0; i < 300; ++i) {
      j = weft_json(args);
      if (done(j)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return j;
  }
  static bool has_address(const json& j) {
    return j.is_object() && j["networks"].is_array() && !j["networks"].empty() &&
           !j["networks"][0]["addresses"].empty();
  }
  // A network with this node authorized; its id.
  std::string authorized_network(const std::string& pool) {
    const std::string net = lab_->cli({"network", "create", "svc", "--pool", pool});
    EXPECT_EQ(net.size(), 16U) << net;
    EXPECT_NE(lab_->cli({"member", "authorize", net, address_}).find("authorized"),
              std::string::npos);
    return net;
  }

  std::unique_ptr<Lab> lab_;
  std::unique_ptr<ChildProcess> daemon_;
  std::string state_;
  std::string identity_;
  std::string endpoint_;
  std::string address_;
  std::string socket_;
};

TEST_F(NodeServiceTest, JoinGetsAnAddressAndTheCliShowsNetworksPeersAndStatus) {
  ASSERT_TRUE(start_daemon());
  EXPECT_EQ(socket_, state_ + "/control.sock");
  EXPECT_TRUE(endpoint_.starts_with("127.0.0.1:")) << endpoint_;
  const std::string net = authorized_network("10.11.0.0/24");

  const Outcome joined = weft({"join", net});
  EXPECT_EQ(joined.code, 0) << joined.out;
  EXPECT_NE(joined.out.find("joined " + net), std::string::npos) << joined.out;

  const json networks = await({"networks"}, has_address);
  ASSERT_TRUE(has_address(networks)) << networks.dump();
  EXPECT_EQ(networks["ok"], true);
  EXPECT_EQ(networks["networks"][0]["id"], net);
  EXPECT_EQ(networks["networks"][0]["state"], "ready");
  bool v4 = false;
  for (const auto& a : networks["networks"][0]["addresses"]) {
    const auto text = a.get<std::string>();
    if (text.starts_with("10.11.0.")) v4 = text.ends_with("/24");
  }
  EXPECT_TRUE(v4) << networks.dump();
  const Outcome table = weft({"networks"});
  EXPECT_NE(table.out.find(net + "  ready"), std::string::npos) << table.out;

  const std::string root_address = lab_->root_line().substr(0, 10);
  const json peers = weft_json({"peers"});
  bool root_listed = false;
  for (const auto& p : peers["peers"]) {
    if (p["address"] == root_address) {
      root_listed = true;
      EXPECT_EQ(p["role"], "root");
      EXPECT_EQ(p["path"], "direct");
      EXPECT_GT(p["packets_out"].get<std::uint64_t>(), 0U);
    }
  }
  EXPECT_TRUE(root_listed) << peers.dump();

  const json status = await({"status"}, [](const json& j) { return j.value("online", false); });
  EXPECT_EQ(status["address"], address_);
  EXPECT_EQ(status["identity"], identity_);
  EXPECT_EQ(status["endpoint"], endpoint_);
  EXPECT_EQ(status["running"], true);
  EXPECT_EQ(status["online"], true);
  const Outcome text = weft({"status"});
  EXPECT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("address   " + address_), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("online    yes"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("endpoint  " + endpoint_), std::string::npos) << text.out;

  EXPECT_EQ(weft({"leave", net}).code, 0);
  EXPECT_TRUE(weft_json({"networks"})["networks"].empty());
  const Outcome again = weft({"leave", net});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.out.find("not a member of network " + net), std::string::npos) << again.out;
  const Outcome bad = weft({"join", "not-a-network"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("network id"), std::string::npos) << bad.out;
}

TEST_F(NodeServiceTest, ASecondDaemonOnTheSameStateIsRefused) {
  ASSERT_TRUE(start_daemon());
  const Outcome second = run({WEFT_WEFTD_PATH, "--state", state_, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(second.code, 1);
  EXPECT_NE(second.out.find("weftd: another weftd (pid " + std::to_string(daemon_->pid()) +
                            ") is using " + state_),
            std::string::npos)
      << second.out;
  EXPECT_EQ(weft({"status"}).code, 0);  // the first is unaffected
}

TEST_F(NodeServiceTest, SigtermStopsCleanlyAndARestartRejoins) {
  ASSERT_TRUE(start_daemon());
  struct stat st {};
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  const std::string net = authorized_network("10.12.0.0/24");
  ASSERT_EQ(weft({"join", net}).code, 0);
  const json before = await({"networks"}, has_address);
  ASSERT_TRUE(has_address(before)) << before.dump();

  ASSERT_EQ(::kill(daemon_->pid(), SIGTERM), 0);
  EXPECT_EQ(daemon_->wait_exit(), 0);
  EXPECT_FALSE(fs::exists(socket_));
  const Outcome down = weft({"status"});
  EXPECT_EQ(down.code, 3) << down.out;

  // Restarted, it rejoins by itself and gets the same address back.
  ASSERT_TRUE(start_daemon());
  const json after = await({"networks"}, has_address);
  EXPECT_EQ(after["networks"], before["networks"]);

  // Killed outright, it leaves a pid file and a socket behind: neither blocks
  // the next start (the kernel dropped the lock).
  daemon_->kill();
  EXPECT_TRUE(fs::exists(state_ + "/weftd.pid"));
  ASSERT_TRUE(start_daemon());
  EXPECT_EQ(weft({"status"}).code, 0);
}

TEST_F(NodeServiceTest, HostileControlClientsAreDisconnectedAndTheDaemonKeepsAnswering) {
  ASSERT_TRUE(start_daemon());
  {
    RawClient c(socket_);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send("{\"cmd\":\"status\"}\n"));
    EXPECT_EQ(json::parse(c.line(), nullptr, false).value("ok", false), true);
    // An unknown command is answered and the connection stays.
    ASSERT_TRUE(c.send("{\"cmd\":\"reboot\"}\n"));
    const json unknown = json::parse(c.line(), nullptr, false);
    EXPECT_EQ(unknown.value("ok", true), false);
    EXPECT_EQ(unknown.value("errno", ""), "unsupported");
    ASSERT_TRUE(c.send("this is not json\n"));
    const json garbage = json::parse(c.line(), nullptr, false);
    EXPECT_EQ(garbage.value("ok", true), false) << garbage.dump();
    EXPECT_EQ(garbage.value("errno", ""), "malformed");
    EXPECT_TRUE(c.closed());
  }
  {
    RawClient c(socket_);
    ASSERT_TRUE(c.connected());
    c.send(std::string(70000, 'a'));  // no newline: the limit is hit before one comes
    const json long_line = json::parse(c.line(), nullptr, false);
    EXPECT_EQ(long_line.value("errno", ""), "too_large") << long_line.dump();
    EXPECT_TRUE(c.closed());
  }
  {
    RawClient c(socket_);
    ASSERT_TRUE(c.connected());
    c.send(std::string(100000, '[') + "\n");
    EXPECT_EQ(json::parse(c.line(), nullptr, false).value("ok", true), false);
    EXPECT_TRUE(c.closed());
  }
  {
    // 64 connections at most: the rest are told so and closed.
    std::vector<std::unique_ptr<RawClient>> many;
    for (int i = 0; i < 80; ++i) many.push_back(std::make_unique<RawClient>(socket_));
    int busy = 0;
    for (auto& c : many) {
      ASSERT_TRUE(c->connected());
      c->send("{\"cmd\":\"status\"}\n");
      const json j = json::parse(c->line(), nullptr, false);
      if (j.value("errno", "") == "busy") ++busy;
    }
    EXPECT_EQ(busy, 16);
  }
  const Outcome status = weft({"status"});
  EXPECT_EQ(status.code, 0) << status.out;
  // Requests pipelined on one connection are answered in order.
  RawClient c(socket_);
  ASSERT_TRUE(c.send("{\"cmd\":\"status\"}\n{\"cmd\":\"networks\"}\n{\"cmd\":\"stats\"}\n"));
  EXPECT_TRUE(json::parse(c.line(), nullptr, false).contains("address"));
  EXPECT_TRUE(json::parse(c.line(), nullptr, false).contains("networks"));
  EXPECT_TRUE(json::parse(c.line(), nullptr, false).contains("sessions"));
}

TEST_F(NodeServiceTest, AnotherUidIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to connect as another uid (setuid)";
  // The socket in a directory others may enter, opened to all: only the
  // daemon's peer-credential check stands in the way.
  const std::string pub = lab_->dir() + "/pub";
  fs::create_directories(pub);
  ::chmod(lab_->dir().c_str(), 0711);
  ::chmod(pub.c_str(), 0711);
  ASSERT_TRUE(start_daemon({"--control-socket", pub + "/control.sock"}));
  ASSERT_EQ(::chmod(socket_.c_str(), 0666), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
    RawClient c(socket_);
    if (!c.connected()) ::_exit(11);
    c.send("{\"cmd\":\"status\"}\n");
    ::_exit(c.closed() ? 0 : 12);  // closed unanswered
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setuid failed, 11: not connected, 12: answered";
  EXPECT_EQ(run({WEFT_CLI_PATH, "status", "--socket", socket_}).code, 0);
}

TEST_F(NodeServiceTest, TheCliWithNoDaemonSaysHowToStartOne) {
  const Outcome r = weft({"status"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.out.find("weft: weftd is not running"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weftd --state " + state_), std::string::npos) << r.out;
}

TEST_F(NodeServiceTest, WeftdAndTheCliAgreeOnTheDefaultStateDirectory) {
  const std::string xdg = lab_->dir() + "/xdg";
  const std::vector<std::string> env{"/usr/bin/env", "-u", "WEFT_STATE", "XDG_STATE_HOME=" + xdg};
  std::vector<std::string> argv = env;
  argv.insert(argv.end(), {WEFT_WEFTD_PATH, "--listen", "127.0.0.1:0"});
  auto p = ChildProcess::spawn(argv, ChildProcess::Ending::terminate);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->expect_line("control "), "control " + xdg + "/weft/control.sock");
  argv = env;
  argv.insert(argv.end(), {WEFT_CLI_PATH, "status"});
  const Outcome r = run(argv);
  EXPECT_EQ(r.code, 0) << r.out;
  // WEFT_STATE, for both, wins over the default.
  const std::vector<std::string> other{"/usr/bin/env", "WEFT_STATE=" + state_};
  argv = other;
  argv.insert(argv.end(), {WEFT_CLI_PATH, "status"});
  EXPECT_EQ(run(argv).code, 3);
  argv = other;
  argv.insert(argv.end(), {WEFT_WEFTD_PATH, "--listen", "127.0.0.1:0"});
  auto q = ChildProcess::spawn(argv, ChildProcess::Ending::terminate);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->expect_line("control "), "control " + state_ + "/control.sock");
  argv = other;
  argv.insert(argv.end(), {WEFT_CLI_PATH, "status"});
  EXPECT_EQ(run(argv).code, 0);
}

TEST_F(NodeServiceTest, TheConfigFileIsReadAndItsMistakesNamed) {
  fs::create_directories(state_);
  {
    std::ofstream f(state_ + "/weftd.json");
    f << json{{"roots", {lab_->root_line()}}, {"listen", "127.0.0.1:0"}, {"log_level", "warn"}}
             .dump();
  }
  // No --listen or --use-root: both from the file.
  auto p =
      ChildProcess::spawn({WEFT_WEFTD_PATH, "--state", state_}, ChildProcess::Ending::terminate);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->expect_line("node ").find("@127.0.0.1:") != std::string::npos);
  const json status = await({"status"}, [](const json& j) { return j.value("online", false); });
  EXPECT_EQ(status["online"], true);
  p.reset();

  {
    std::ofstream f(state_ + "/weftd.json");
    f << R"({"listen": "127.0.0.1:0", "rootz": []})";
  }
  Outcome r = run({WEFT_WEFTD_PATH, "--state", state_});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("unknown key \"rootz\""), std::string::npos) << r.out;
  {
    std::ofstream f(state_ + "/weftd.json");
    f << R"({"listen": 9993})";
  }
  r = run({WEFT_WEFTD_PATH, "--state", state_});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("\"listen\" must be a string"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace weft::integration
