// VL2 between real processes on loopback: a root (weftd --root), a controller
// (weftd --controller, managed with the weft CLI over its admin API) and two
// members (weft-member). Both members get addresses from the controller and
// talk TCP through their taps, lwIP and the encrypted overlay.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "integration/child_process.hpp"
#include "integration/lab.hpp"
#include "support/build_kind.hpp"

namespace weft::integration {
namespace {

namespace fs = std::filesystem;

class NetworkProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = std::make_unique<Lab>(WEFT_WEFTD_PATH, WEFT_CLI_PATH);
    ASSERT_TRUE(lab_->ready());
    dir_ = lab_->dir();
    root_line_ = lab_->root_line();
  }

  void TearDown() override {
    members_.clear();
    lab_.reset();
  }

  std::string cli(std::vector<std::string> args) { return lab_->cli(std::move(args)); }

  struct Member {
    std::unique_ptr<ChildProcess> process;
    std::string address;
  };
  Member& start_member(const std::string& name, const std::string& faults = "") {
    members_.push_back(spawn_member(name, faults));
    return members_.back();
  }
  Member spawn_member(const std::string& name, const std::string& faults = "") {
    Member m;
    std::vector<std::string> argv{WEFT_MEMBER_PATH, "--state", dir_ + "/" + name, "--root", root_line_};
    if (!faults.empty()) argv.insert(argv.end(), {"--faults", faults});
    m.process = ChildProcess::spawn(argv);
    if (m.process) {
      const auto w = words(expect_line(*m.process, "member "));
      if (w.size() == 2) m.address = w[1];
    }
    return m;
  }

  // A network with both members authorized and joined; their addresses
  // ("address <net> <ipv4> <ipv6>" split in words).
  struct Joined {
    std::string net;
    std::vector<std::string> a;
    std::vector<std::string> b;
  };
  Joined join_both(Member& a, Member& b, const std::string& pool) {
    Joined j;
    j.net = cli({"network", "create", "lab", "--pool", pool});
    EXPECT_EQ(j.net.size(), 16U) << j.net;
    EXPECT_NE(cli({"member", "authorize", j.net, a.address}).find("authorized"), std::string::npos);
    EXPECT_NE(cli({"member", "authorize", j.net, b.address}).find("authorized"), std::string::npos);
    a.process->write_line("join " + j.net);
    b.process->write_line("join " + j.net);
    j.a = words(expect_line(*a.process, "address "));
    j.b = words(expect_line(*b.process, "address "));
    EXPECT_EQ(j.a.size(), 4U);
    EXPECT_EQ(j.b.size(), 4U);
    return j;
  }

  std::unique_ptr<Lab> lab_;
  std::string dir_;
  std::string root_line_;
  std::deque<Member> members_;  // start_member() hands out references
};

TEST_F(NetworkProcessTest, MembersGetAddressesAndTalkTcpOverTheOverlay) {
  const std::string net = cli({"network", "create", "lab", "--pool", "10.7.0.0/24"});
  ASSERT_EQ(net.size(), 16U) << net;
  Member& a = start_member("a");
  Member& b = start_member("b");
  ASSERT_FALSE(a.address.empty());
  ASSERT_FALSE(b.address.empty());
  EXPECT_NE(cli({"member", "authorize", net, a.address}).find("authorized"), std::string::npos);
  EXPECT_NE(cli({"member", "authorize", net, b.address}).find("authorized"), std::string::npos);

  a.process->write_line("join " + net);
  b.process->write_line("join " + net);
  const auto at_a = words(expect_line(*a.process, "address "));
  const auto at_b = words(expect_line(*b.process, "address "));
  ASSERT_EQ(at_a.size(), 4U);
  ASSERT_EQ(at_b.size(), 4U);
  EXPECT_TRUE(starts_with(at_a[2], "10.7.0.")) << at_a[2];
  EXPECT_TRUE(starts_with(at_b[2], "10.7.0.")) << at_b[2];
  EXPECT_NE(at_a[2], at_b[2]);

  b.process->write_line("echo-server 7");
  ASSERT_FALSE(expect_line(*b.process, "listening ").empty());
  // IPv4 from the pool, then IPv6 from the network's ULA prefix.
  a.process->write_line("echo " + at_b[2] + " 7 1048576");
  EXPECT_EQ(expect_line(*a.process, "echoed "), "echoed 1048576");
  a.process->write_line("echo " + at_b[3] + " 7 65536");
  EXPECT_EQ(expect_line(*a.process, "echoed "), "echoed 65536");
  // A thread blocked in recv took the node's datagrams itself at least once
  // (the echo's reader waits for data that is still on its way).
  a.process->write_line("stats");
  const auto stats = words(expect_line(*a.process, "stats "));
  ASSERT_EQ(stats.size(), 5U);
  EXPECT_GT(std::stoull(stats[4]), 0U);
  EXPECT_LE(std::stoull(stats[4]), std::stoull(stats[2]));

  // Deauthorizing B cuts it off: the controller pushes a revocation to A and a
  // refusal to B. New connections from A (1 s each) fail within 5 s.
  EXPECT_NE(cli({"member", "deauthorize", net, b.address}).find("unauthorized"), std::string::npos);
  const auto cut = std::chrono::steady_clock::now();
  double seconds = 0;
  bool refused = false;
  while (!refused && seconds < 5.0) {
    a.process->write_line("echo " + at_b[2] + " 7 1024 1000");
    refused = starts_with(expect_line(*a.process, "e"), "error");
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - cut).count();
  }
  EXPECT_TRUE(refused) << "B still reachable " << seconds << " s after its deauthorization";
  RecordProperty("deauthorized_cut_off_within_s", std::to_string(seconds));
}

TEST_F(NetworkProcessTest, AnUnauthorizedMemberIsRefused) {
  const std::string net = cli({"network", "create", "private", "--pool", "10.8.0.0/24"});
  ASSERT_EQ(net.size(), 16U) << net;
  Member& m = start_member("m");
  m.process->write_line("join " + net);
  EXPECT_EQ(expect_line(*m.process, "error "),
            "error address: the network's controller has not authorized this node");
}

TEST_F(NetworkProcessTest, UdpDatagramsKeepTheirBoundariesAndANodeRestartsInProcess) {
  Member& a = start_member("a");
  Member& b = start_member("b");
  const Joined j = join_both(a, b, "10.9.1.0/24");
  ASSERT_EQ(j.b.size(), 4U);
  b.process->write_line("udp-echo-server 5353");
  ASSERT_FALSE(expect_line(*b.process, "udp-listening").empty());
  // Sizes from 1 byte to a fragmented 2,000-byte datagram (the overlay's MTU is 2,800).
  for (const char* size : {"1", "1200", "2000"}) {
    a.process->write_line("udp-echo " + j.b[2] + " 5353 50 " + size);
    EXPECT_EQ(a.process->read_line(), "udp-echoed 50") << size;
  }

  // Stopped and started in the same process, A gets its address back without
  // joining again, and traffic flows.
  a.process->write_line("stop");
  EXPECT_EQ(expect_line(*a.process, "stopped"), "stopped");
  a.process->write_line("start");
  EXPECT_EQ(expect_line(*a.process, "started"), "started");
  a.process->write_line("wait-address " + j.net);
  EXPECT_EQ(words(expect_line(*a.process, "address ")), j.a);
  b.process->write_line("echo-server 7");
  ASSERT_FALSE(expect_line(*b.process, "listening ").empty());
  a.process->write_line("echo " + j.b[2] + " 7 65536");
  EXPECT_EQ(expect_line(*a.process, "echoed "), "echoed 65536");

  a.process->write_line("leave " + j.net);
  EXPECT_EQ(expect_line(*a.process, "left "), "left " + j.net);
  a.process->write_line("events");
  const auto events = expect_line(*a.process, "events");
  EXPECT_NE(events.find("network_ready"), std::string::npos) << events;
  EXPECT_NE(events.find("address_assigned"), std::string::npos) << events;
}

TEST_F(NetworkProcessTest, TrafficSurvivesADamagingTapOnBothMembers) {
  // Every frame either member sends may be lost, duplicated, reordered or have
  // a bit flipped before it is encrypted: TCP must still deliver every byte,
  // UDP every datagram it delivers intact (the stack's checksums catch flips).
  // (lwIP recovers a loss by its retransmission timer when too few segments
  // follow it for fast retransmit: 1% keeps the test short.)
  Member& a = start_member("a", "seed=11,loss=0.01,duplicate=0.01,reorder=0.02,corrupt=0.005");
  Member& b = start_member("b", "seed=12,loss=0.01,duplicate=0.01,reorder=0.02,corrupt=0.005");
  const Joined j = join_both(a, b, "10.9.4.0/24");
  ASSERT_EQ(j.b.size(), 4U);
  b.process->write_line("echo-server 7");
  ASSERT_FALSE(expect_line(*b.process, "listening ").empty());
  a.process->write_line("echo " + j.b[2] + " 7 1048576");
  EXPECT_EQ(expect_line(*a.process, "echoed ", std::chrono::minutes(3)), "echoed 1048576");
  a.process->write_line("echo " + j.b[3] + " 7 262144");
  EXPECT_EQ(expect_line(*a.process, "echoed ", std::chrono::minutes(3)), "echoed 262144");
  b.process->write_line("udp-echo-server 5353");
  ASSERT_FALSE(expect_line(*b.process, "udp-listening").empty());
  a.process->write_line("udp-echo " + j.b[2] + " 5353 100 1000");
  EXPECT_EQ(a.process->read_line(), "udp-echoed 100");
}

TEST_F(NetworkProcessTest, OneGibibyteEachWayIsByteExact) {
  if (!test_support::kFullSpeedBuild)
    GTEST_SKIP() << "1 GiB only in optimised builds without a sanitizer";
  Member& a = start_member("a");
  Member& b = start_member("b");
  const Joined j = join_both(a, b, "10.9.2.0/24");
  ASSERT_EQ(j.b.size(), 4U);
  b.process->write_line("echo-server 7");
  ASSERT_FALSE(expect_line(*b.process, "listening ").empty());
  const auto start = std::chrono::steady_clock::now();
  a.process->write_line("echo " + j.b[2] + " 7 1073741824");
  EXPECT_EQ(expect_line(*a.process, "echoed ", std::chrono::minutes(5)), "echoed 1073741824");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("echo_1GiB_seconds", std::to_string(s));
}

TEST_F(NetworkProcessTest, AKilledMemberRestartsFromItsStateAndIsReachedAgain) {
  Member& a = start_member("a");
  Member& b = start_member("b");
  const Joined j = join_both(a, b, "10.9.3.0/24");
  ASSERT_EQ(j.b.size(), 4U);
  b.process->write_line("echo-server 7");
  ASSERT_FALSE(expect_line(*b.process, "listening ").empty());

  // B dies by SIGKILL in the middle of a long echo; it comes back from its
  // state directory as the same node, rejoins by itself and gets the same
  // address. A's connection fails (B's new stack resets it) rather than hang.
  a.process->write_line("echo " + j.b[2] + " 7 4294967296");
  ASSERT_FALSE(expect_line(*a.process, "progress ").empty());
  b.process->kill();
  const auto killed = std::chrono::steady_clock::now();
  Member again = spawn_member("b");
  EXPECT_EQ(again.address, b.address);
  again.process->write_line("wait-address " + j.net);
  EXPECT_EQ(words(expect_line(*again.process, "address ")), j.b);
  const std::string failed = expect_line(*a.process, "e", std::chrono::minutes(3));
  EXPECT_TRUE(starts_with(failed, "error echoed")) << failed;
  RecordProperty("killed_peer_error_after_s",
                 std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                              killed)
                                    .count()));
  again.process->write_line("echo-server 7");
  ASSERT_FALSE(expect_line(*again.process, "listening ").empty());
  a.process->write_line("echo " + j.b[2] + " 7 1048576");
  EXPECT_EQ(expect_line(*a.process, "echoed "), "echoed 1048576");
  members_.push_back(std::move(again));
}

}  // namespace
}  // namespace weft::integration
