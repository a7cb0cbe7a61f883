// A bug found while building the suite (docs/conformance.md, "Fixed"): a
// process whose Weft stack is running must be able to exit normally while frames
// still arrive. stack/lwip/core_lock.cpp kept its transmit queue in a
// function-local static vector, which exit() destroyed while the dev link's
// receive thread (and lwIP's timers) still queued frames on it: a
// heap-use-after-free in queue_frame (under ASan the report could also deadlock
// with LeakSanitizer's exit-time check, so the process never ended). The queue
// and its mutex are now never destroyed. The failure shows under the asan preset.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "conformance/dev_node_setup.hpp"

namespace weft::conformance {
namespace {

// An ARP request "who has 10.77.0.1? tell 10.77.0.9": the stack answers each
// one, so every frame that arrives makes it transmit.
// Padded to the 60-byte Ethernet minimum (shorter frames are dropped as runts).
std::array<std::uint8_t, 60> arp_request() {
  return {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x77, 0, 0, 0, 0x09, 0x08, 0x06,  // Ethernet
          0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01,         // ARP, request
          0x02, 0x77, 0,    0,    0,    0x09, 10,   77,   0, 9,   // sender
          0,    0,    0,    0,    0,    0,    10,   77,   0, 1};  // target
}

// One child process: starts a dev node, waits until frames flow, exits while
// they keep coming. Returns the child's exit status as text ("0" is clean).
std::string exit_while_frames_arrive() {
  // The frame source: a kernel UDP socket standing in for the peer's link.
  int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (udp < 0) return "socket failed";
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof me;
  if (::bind(udp, reinterpret_cast<sockaddr*>(&me), sizeof me) != 0 ||    // NOLINT
      ::getsockname(udp, reinterpret_cast<sockaddr*>(&me), &len) != 0) {  // NOLINT
    return "bind failed";
  }
  int port_pipe[2];
  int go_pipe[2];
  if (::pipe2(port_pipe, O_CLOEXEC) != 0 || ::pipe2(go_pipe, O_CLOEXEC) != 0) return "pipe failed";

  const pid_t child = ::fork();
  if (child < 0) return "fork failed";
  if (child == 0) {
    runtime::DevNode* node = open_dev_node(Side::test);
    if (node == nullptr) ::_exit(3);
    std::uint16_t port = node->local().port();
    if (::write(port_pipe[1], &port, sizeof port) != sizeof port) ::_exit(4);
    if (!node->start(osdep::Endpoint::loopback_v4(ntohs(me.sin_port)))) ::_exit(5);
    char c = 0;
    if (::read(go_pipe[0], &c, 1) != 1) ::_exit(6);
    // Exit only once frames are flowing in.
    for (int i = 0; i < 1000 && node->netif_stats().frames_in == 0; ++i) ::usleep(1000);
    std::exit(0);  // static destructors run while frames keep arriving
  }
  std::uint16_t child_port = 0;
  if (::read(port_pipe[0], &child_port, sizeof child_port) !=
      static_cast<ssize_t>(sizeof child_port))
    return "no port from the child";
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(child_port);
  const auto frame = arp_request();
  auto send_some = [&](int n) {
    for (int i = 0; i < n; ++i)
      ::sendto(udp, frame.data(), frame.size(), MSG_DONTWAIT,
               reinterpret_cast<sockaddr*>(&to),  // NOLINT
               sizeof to);
  };
  send_some(200);
  if (::write(go_pipe[1], "g", 1) != 1) return "cannot signal the child";
  int status = 0;
  pid_t done = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((done = ::waitpid(child, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    send_some(20);
    char drain[2048];
    while (::recv(udp, drain, sizeof drain, MSG_DONTWAIT) > 0) {
    }
  }
  for (int fd : {udp, port_pipe[0], port_pipe[1], go_pipe[0], go_pipe[1]}) ::close(fd);
  if (done == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    return "hung in exit";
  }
  if (WIFEXITED(status)) return std::to_string(WEXITSTATUS(status));
  return "signal " + std::to_string(WTERMSIG(status));
}

TEST(WeftStackExit, ExitWhileFramesArriveIsClean) {
  // The window is narrow: a few tries make a failure likely (under ASan).
  for (int i = 0; i < 8; ++i) ASSERT_EQ(exit_while_frames_arrive(), "0") << "try " << i;
}

}  // namespace
}  // namespace weft::conformance
