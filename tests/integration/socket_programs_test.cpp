// The ordinary socket programs of tests/programs/ on kernel loopback, IPv4 and
// IPv6: every client against every server (in turn, then all at once), a
// refused connect, and each client against an echo that changes one byte (it
// must notice and exit nonzero). This proves the programs; run through the
// intercept with socket_program_checks.hpp, they then prove the intercept.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "integration/program_runner.hpp"
#include "integration/socket_program_checks.hpp"
#include "osdep/unique_fd.hpp"
#include "support/sock_addr.hpp"

namespace weft::integration {
namespace {

using osdep::UniqueFd;
using test_support::family_of;
using test_support::SockAddr;

// Empty when `host` can be bound; otherwise why not.
std::string unusable(const std::string& host) {
  const UniqueFd s(::socket(family_of(host), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return "no " + host + " socket: " + std::strerror(errno);
  SockAddr a = SockAddr::make(host, 0);
  if (::bind(s.get(), a.get(), a.len) != 0)
    return "cannot bind " + host + ": " + std::strerror(errno);
  return "";
}

std::string host_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param == "127.0.0.1" ? "v4" : "v6";
}

class SocketPrograms : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (const auto why = unusable(GetParam()); !why.empty()) GTEST_SKIP() << why;
    runner_.host = GetParam();
  }
  ProgramRunner runner_;
};

TEST_P(SocketPrograms, EveryClientAgainstEchoServerInTurn) {
  check_clients_in_turn(runner_, runner_, server_kinds()[0]);
}
TEST_P(SocketPrograms, EveryClientAgainstPySelectorsServerInTurn) {
  check_clients_in_turn(runner_, runner_, server_kinds()[1]);
}
TEST_P(SocketPrograms, EveryClientAgainstPyAsyncioServerInTurn) {
  check_clients_in_turn(runner_, runner_, server_kinds()[2]);
}
TEST_P(SocketPrograms, AllClientsAtOnceAgainstEchoServer) {
  check_clients_at_once(runner_, runner_, server_kinds()[0]);
}
TEST_P(SocketPrograms, AllClientsAtOnceAgainstPySelectorsServer) {
  check_clients_at_once(runner_, runner_, server_kinds()[1]);
}
TEST_P(SocketPrograms, AllClientsAtOnceAgainstPyAsyncioServer) {
  check_clients_at_once(runner_, runner_, server_kinds()[2]);
}

// A bound socket that does not listen: a SYN to it is answered with a reset,
// and no other program can take the port meanwhile.
TEST_P(SocketPrograms, NonBlockingConnectToNoListenerIsRefused) {
  const UniqueFd s(::socket(family_of(GetParam()), SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(s);
  SockAddr a = SockAddr::make(GetParam(), 0);
  ASSERT_EQ(::bind(s.get(), a.get(), a.len), 0);
  ASSERT_EQ(::getsockname(s.get(), a.get(), &a.len), 0);
  check_refused(runner_, std::to_string(a.port()));
}

// An echo (TCP and UDP on one port) that changes byte kFlipAt of what each
// client sends, so a client that did not check every byte would pass.
class FlippingEcho {
 public:
  static constexpr std::size_t kFlipAt = 100;

  explicit FlippingEcho(const std::string& host) {
    SockAddr a = SockAddr::make(host, 0);
    tcp_.reset(::socket(a.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    udp_.reset(::socket(a.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (::bind(tcp_.get(), a.get(), a.len) != 0 || ::listen(tcp_.get(), 8) != 0 ||
        ::getsockname(tcp_.get(), a.get(), &a.len) != 0 ||
        ::bind(udp_.get(), a.get(), a.len) != 0) {
      tcp_.reset();
      return;
    }
    port_ = std::to_string(a.port());
  }
  [[nodiscard]] const std::string& port() const { return port_; }

  // Accepts one connection and echoes it, flipped, until the client goes.
  void serve_tcp() {
    if (!readable(tcp_.get())) return;
    const UniqueFd c(::accept4(tcp_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    std::size_t offset = 0;
    char buf[65536];
    while (readable(c.get())) {
      const ssize_t n = ::recv(c.get(), buf, sizeof buf, 0);
      if (n <= 0) return;
      const auto len = static_cast<std::size_t>(n);
      if (offset <= kFlipAt && kFlipAt < offset + len) buf[kFlipAt - offset] ^= 0x20;
      offset += len;
      for (std::size_t sent = 0; sent < len;) {
        const ssize_t k = ::send(c.get(), buf + sent, len - sent, MSG_NOSIGNAL);
        if (k <= 0) return;
        sent += static_cast<std::size_t>(k);
      }
    }
  }
  // Echoes datagrams until it has sent the 100-byte one, flipped.
  void serve_udp() {
    char buf[65536];
    while (readable(udp_.get())) {
      SockAddr from;
      const ssize_t n = ::recvfrom(udp_.get(), buf, sizeof buf, 0, from.get(), &from.len);
      if (n <= 0) return;
      if (n == 100) buf[50] ^= 0x20;
      ::sendto(udp_.get(), buf, static_cast<std::size_t>(n), 0, from.get(), from.len);
      if (n == 100) return;
    }
  }

 private:
  static bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 10000) == 1;
  }
  UniqueFd tcp_;
  UniqueFd udp_;
  std::string port_;
};

TEST_P(SocketPrograms, EveryClientNoticesAChangedByte) {
  for (const auto& c : client_cases()) {
    SCOPED_TRACE(c.name);
    FlippingEcho echo(GetParam());
    ASSERT_FALSE(echo.port().empty());
    auto p = runner_.spawn(c.program, client_args(c, runner_, echo.port()));
    ASSERT_TRUE(p);
    if (c.udp) {
      echo.serve_udp();
    } else {
      // exec_client's first child and the Python clients open more than one
      // connection; the first flipped one is enough to fail them.
      echo.serve_tcp();
    }
    const ProgramRun r = finish(*p);
    // 1: a failed check (2 would be a usage error, -1 a signal).
    EXPECT_EQ(r.exit_code, 1) << c.name << " passed a changed byte; printed:\n" << joined(r.lines);
  }
}

INSTANTIATE_TEST_SUITE_P(Loopback, SocketPrograms, ::testing::Values("127.0.0.1", "::1"),
                         host_name);

}  // namespace
}  // namespace weft::integration
