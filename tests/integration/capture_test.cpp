// `weft capture` (docs/operations.md, "Capturing a network's traffic"): a root,
// a controller and two node daemons on loopback. A capture on one daemon
// records a TCP exchange that programs under `weft run` make between the two
// virtual addresses; tshark then reads the file and finds the frames both
// ways and the bytes sent. --count ends a capture by itself; a network not
// joined, a file that cannot be created and a missing daemon are refused
// with a message and the usual exit codes.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/child_process.hpp"
#include "integration/intercept_world.hpp"
#include "integration/lab.hpp"

namespace weft::integration {
namespace {

using namespace std::chrono_literals;

struct Outcome {
  int code{-1};
  std::string out;  // stdout and stderr together
};

std::vector<std::string> folded(std::vector<std::string> argv) {
  std::vector<std::string> sh{"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"};
  sh.insert(sh.end(), argv.begin(), argv.end());
  return sh;
}

Outcome run(const std::vector<std::string>& argv) {
  auto p = ChildProcess::spawn(folded(argv));
  if (!p) return {};
  Outcome r;
  r.out = p->read_to_end();
  r.code = p->wait_exit();
  return r;
}

// A shell command's stdout (tshark).
std::string shell(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {};
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ::pclose(p);
  return out;
}

bool have_tshark() { return std::system("command -v tshark >/dev/null 2>&1") == 0; }

class CaptureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lab_ = new Lab(WEFT_WEFTD_PATH, WEFT_CLI_PATH);
    if (!lab_->ready()) return;
    net_ = lab_->cli({"network", "create", "lab", "--pool", "10.11.0.0/24"});
    if (net_.size() != 16) return;
    a_ = new Daemon(start("a"));
    b_ = new Daemon(start("b"));
  }
  static void TearDownTestSuite() {
    delete a_;
    delete b_;
    delete lab_;
    a_ = b_ = nullptr;
    lab_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(a_ != nullptr && b_ != nullptr && !a_->ip4.empty() && !b_->ip4.empty())
        << "the lab did not come up";
  }

  static Daemon start(const std::string& name) { return start_member(*lab_, net_, name); }

  // A TCP connection from b to a's virtual address carrying `message`: a
  // listener under `weft run` on a, a client (retrying until the listener is
  // up) under `weft run` on b. Returns what the listener printed.
  static std::string exchange(const std::string& port, const std::string& message) {
    auto listener = ChildProcess::spawn(a_->run(
        {"/usr/bin/python3", "-c",
         "import socket,sys\n"
         "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
         "s.bind(('" + a_->ip4 + "'," + port + ")); s.listen(1)\n"
         "print('listening', flush=True)\n"
         "c,_=s.accept(); data=b''\n"
         "while True:\n"
         "  d=c.recv(4096)\n"
         "  if not d: break\n"
         "  data+=d\n"
         "print(data.decode(), flush=True)\n"}));
    if (!listener || listener->expect_line("listening").empty()) return {};
    const auto sent = run(b_->run(
        {"/usr/bin/python3", "-c",
         "import socket,time\n"
         "for i in range(100):\n"
         "  try:\n"
         "    c=socket.create_connection(('" + a_->ip4 + "'," + port + "), timeout=10); break\n"
         "  except OSError: time.sleep(0.05)\n"
         "c.sendall(b'" + message + "'); c.close()\n"}));
    if (sent.code != 0) return "client failed: " + sent.out;
    std::string got = listener->read_line();
    listener->wait_exit();
    return got;
  }

  static Lab* lab_;
  static std::string net_;
  static Daemon* a_;
  static Daemon* b_;
};

Lab* CaptureTest::lab_ = nullptr;
std::string CaptureTest::net_;
Daemon* CaptureTest::a_ = nullptr;
Daemon* CaptureTest::b_ = nullptr;

TEST_F(CaptureTest, RecordsTcpBetweenTheVirtualAddressesUntilSigterm) {
  if (!have_tshark()) GTEST_SKIP() << "tshark is not installed (scripts/bootstrap.sh installs it)";
  const std::string file = lab_->dir() + "/a.pcap";
  auto capture = ChildProcess::spawn(folded(a_->cli({"capture", "--network", net_, file})));
  ASSERT_TRUE(capture);
  ASSERT_FALSE(capture->expect_line("weft: capturing network").empty());

  EXPECT_EQ(exchange("9300", "hello through the capture"), "hello through the capture");

  auto frames = [&](const std::string& filter) {
    return shell("tshark -r '" + file + "' -Y '" + filter + "' -T fields -e frame.number 2>/dev/null");
  };
  const std::string b_to_a = "ip.src == " + b_->ip4 + " && ip.dst == " + a_->ip4;
  const std::string a_to_b = "ip.src == " + a_->ip4 + " && ip.dst == " + b_->ip4;
  // The listener's FIN leaves a's daemon after the listener exits (its
  // descriptor's end reaches the stack asynchronously): stop the capture
  // once the file holds it (frames are appended as they pass), or after 30 s.
  for (auto give_up = std::chrono::steady_clock::now() + 30s;
       frames(a_to_b + " && tcp.flags.fin == 1").empty() &&
       std::chrono::steady_clock::now() < give_up;)
    std::this_thread::sleep_for(20ms);

  ::kill(capture->pid(), SIGTERM);
  const std::string out = capture->read_to_end();
  EXPECT_EQ(capture->wait_exit(), 0) << out;
  EXPECT_NE(out.find("captured "), std::string::npos) << out;

  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);  // a capture holds the network's plaintext
  EXPECT_EQ(st.st_uid, ::geteuid());

  // Both directions of the connection, between the two virtual addresses.
  EXPECT_FALSE(frames(b_to_a + " && tcp.flags.syn == 1 && tcp.flags.ack == 0").empty());  // SYN
  EXPECT_FALSE(frames(a_to_b + " && tcp.flags.syn == 1 && tcp.flags.ack == 1").empty());  // SYN-ACK
  EXPECT_FALSE(frames(b_to_a + " && tcp.flags.fin == 1").empty());
  EXPECT_FALSE(frames(a_to_b + " && tcp.flags.fin == 1").empty());
  // The bytes the client sent, in a TCP payload from b to a.
  const std::string payload = shell("tshark -r '" + file + "' -Y 'tcp.len > 0 && ip.src == " +
                                    b_->ip4 + "' -T fields -e tcp.payload 2>/dev/null");
  std::string hex;
  for (const unsigned char c : std::string("hello through the capture")) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", c);
    hex += two;
  }
  EXPECT_NE(payload.find(hex), std::string::npos) << payload;
}

TEST_F(CaptureTest, CountEndsTheCaptureByItself) {
  if (!have_tshark()) GTEST_SKIP() << "tshark is not installed (scripts/bootstrap.sh installs it)";
  const std::string file = lab_->dir() + "/count.pcap";
  auto capture = ChildProcess::spawn(
      folded(a_->cli({"capture", "--network", net_, file, "--count", "3", "--json"})));
  ASSERT_TRUE(capture);
  // With --json the CLI prints nothing before the end, so the test cannot see
  // when the capture started: it makes traffic until the capture has ended.
  for (int i = 0; i < 20 && !capture->exited_within(0ms); ++i)
    (void)exchange(std::to_string(9310 + i), "x");
  const std::string out = capture->read_to_end();
  EXPECT_EQ(capture->wait_exit(), 0) << out;
  const auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j.value("reason", ""), "count");
  EXPECT_EQ(j.value("frames", 0), 3);
  EXPECT_EQ(shell("tshark -r '" + file + "' -T fields -e frame.number 2>/dev/null"), "1\n2\n3\n");
}

TEST_F(CaptureTest, DurationEndsTheCapture) {
  const std::string file = lab_->dir() + "/duration.pcap";
  const auto r = run(a_->cli({"capture", "--network", net_, file, "--duration", "0.2"}));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("captured "), std::string::npos) << r.out;
}

TEST_F(CaptureTest, RefusesANetworkNotJoined) {
  const auto r = run(a_->cli({"capture", "--network", "0123456789abcdef", lab_->dir() + "/x.pcap"}));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("not a member of network 0123456789abcdef: weft join"), std::string::npos)
      << r.out;
}

TEST_F(CaptureTest, RefusesAFileThatCannotBeCreated) {
  const auto r = run(a_->cli({"capture", "--network", net_, "/nonexistent-weft-dir/x.pcap"}));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("cannot create /nonexistent-weft-dir/x.pcap"), std::string::npos) << r.out;
}

TEST_F(CaptureTest, WithoutADaemonSaysSoAndExits3) {
  const auto r = run({WEFT_CLI_PATH, "capture", "--network", net_, lab_->dir() + "/y.pcap",
                      "--state", lab_->dir() + "/nobody"});
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_NE(r.out.find("weftd is not running"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace weft::integration
