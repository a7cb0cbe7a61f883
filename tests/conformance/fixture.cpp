#include "conformance/fixture.hpp"

#include <signal.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "conformance/dev_node_setup.hpp"

namespace weft::conformance {
namespace {

// Ends the peer processes when the test program ends (normally; if it is killed,
// each peer dies with it through PR_SET_PDEATHSIG).
class PeerEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override { ::signal(SIGPIPE, SIG_IGN); }
  void TearDown() override {
    PeerProcess::stop_all();
    // No frame may reach this process's stack while it exits: stack/lwip keeps
    // its transmit queue in a function-local static that exit() destroys while
    // the link and lwIP threads still run (a use-after-free; see the report in
    // docs/conformance.md, "Other bugs found").
    if (runtime::DevNode* node = dev_node(); node != nullptr) node->link().stop();
  }
};

[[maybe_unused]] auto* const g_environment =
    ::testing::AddGlobalTestEnvironment(new PeerEnvironment);

}  // namespace

void PrintTo(const Param& p, std::ostream* os) {
  *os << p.backend->name << (p.family == AF_INET6 ? " v6" : " v4");
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  return info.param.family == AF_INET6 ? "v6" : "v4";
}

std::string errno_name(int e) {
  if (e == 0) return "0";
  const char* n = ::strerrorname_np(e);
  return n != nullptr ? n : "errno " + std::to_string(e);
}

void Conformance::SetUp() {
  peer_ = PeerProcess::get(api());
  ASSERT_NE(peer_, nullptr) << "the " << api().name << " peer process did not start";
}

void Conformance::TearDown() {
  // Reset what the case left open, so no connection keeps lwIP timers sending
  // (retransmissions, window probes) while the process exits.
  for (int fd : open_) {
    linger l{1, 0};
    api().setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    api().close(fd);
  }
  open_.clear();
}

int Conformance::open(int type, int fam) {
  int fd = api().socket(fam == 0 ? family() : fam, type, 0);
  EXPECT_GE(fd, 0) << "socket: " << err();
  if (fd >= 0) open_.insert(fd);
  return fd;
}

void Conformance::close_fd(int fd) {
  open_.erase(fd);
  EXPECT_EQ(api().close(fd), 0) << "close: " << err();
}

SockAddr Conformance::service(std::string_view name) const {
  std::uint16_t port = peer().port(name, family());
  EXPECT_NE(port, 0) << "the peer announced no " << name << " service";
  return SockAddr::make(api().peer(family()), port);
}

SockAddr Conformance::local_any_port() const { return SockAddr::make(api().local(family()), 0); }

int Conformance::connect_to(std::string_view name) {
  int fd = open(SOCK_STREAM);
  if (fd < 0) return -1;
  auto to = service(name);
  int r = api().connect(fd, to.get(), to.len);
  EXPECT_EQ(r, 0) << "connect to " << name << ": " << err();
  return r == 0 ? fd : -1;
}

int Conformance::connection_reset_by_peer() {
  const int fd = connect_to("abort");
  if (fd < 0) return -1;
  const std::byte b{1};
  const ssize_t sent = api().send(fd, &b, 1, 0);
  EXPECT_EQ(sent, 1) << "send: " << err();
  if (sent != 1) return -1;
  EXPECT_NE(wait_for(fd, POLLIN) & POLLIN, 0);
  return fd;
}

void Conformance::expect_reset_then_eof_and_epipe(int fd) {
  std::byte b{1};
  EXPECT_FAILS_WITH(api().recv(fd, &b, 1, 0), ECONNRESET);
  EXPECT_EQ(api().recv(fd, &b, 1, 0), 0) << err();
  EXPECT_FAILS_WITH(api().send(fd, &b, 1, 0), EPIPE);
}

int Conformance::listen_here(int backlog) {
  int fd = open(SOCK_STREAM);
  if (fd < 0) return -1;
  auto addr = local_any_port();
  EXPECT_EQ(api().bind(fd, addr.get(), addr.len), 0) << "bind: " << err();
  EXPECT_EQ(api().listen(fd, backlog), 0) << "listen: " << err();
  return fd;
}

SockAddr Conformance::name_of(int fd) {
  SockAddr a;
  EXPECT_EQ(api().getsockname(fd, a.get(), &a.len), 0) << "getsockname: " << err();
  return a;
}

SockAddr Conformance::peer_of(int fd) {
  SockAddr a;
  EXPECT_EQ(api().getpeername(fd, a.get(), &a.len), 0) << "getpeername: " << err();
  return a;
}

bool Conformance::send_all(int fd, ByteSpan data) {
  while (!data.empty()) {
    ssize_t n = api().send(fd, data.data(), data.size(), 0);
    if (n < 0 && api().last_error() == EINTR) continue;
    if (n <= 0) {
      ADD_FAILURE() << "send: " << err();
      return false;
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

Bytes Conformance::recv_until_eof(int fd, std::size_t limit) {
  Bytes all;
  Bytes buf(std::size_t{64} * 1024);
  while (all.size() < limit) {
    ssize_t n = api().recv(fd, buf.data(), std::min(buf.size(), limit - all.size()), 0);
    if (n < 0 && api().last_error() == EINTR) continue;
    if (n < 0) {
      ADD_FAILURE() << "recv: " << err();
      break;
    }
    if (n == 0) break;
    all.insert(all.end(), buf.begin(), buf.begin() + n);
  }
  return all;
}

Bytes Conformance::recv_exact(int fd, std::size_t n) {
  Bytes all(n);
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = api().recv(fd, all.data() + got, n - got, 0);
    if (r < 0 && api().last_error() == EINTR) continue;
    if (r <= 0) {
      ADD_FAILURE() << "recv after " << got << " of " << n
                    << " bytes: " << (r == 0 ? "EOF" : err());
      all.resize(got);
      break;
    }
    got += static_cast<std::size_t>(r);
  }
  return all;
}

short Conformance::wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int r = api().poll(&p, 1, timeout_ms);
  EXPECT_GE(r, 0) << "poll: " << err();
  return r > 0 ? p.revents : short{0};
}

int Conformance::int_option(int fd, int level, int name) {
  int v = -12345;
  socklen_t len = sizeof v;
  EXPECT_EQ(api().getsockopt(fd, level, name, &v, &len), 0)
      << "getsockopt " << name << ": " << err();
  EXPECT_EQ(len, sizeof v);
  return v;
}

int Conformance::so_error(int fd) { return int_option(fd, SOL_SOCKET, SO_ERROR); }

void Conformance::set_timeout(int fd, int name, int ms) {
  timeval tv{ms / 1000, static_cast<suseconds_t>(ms % 1000) * 1000};
  EXPECT_EQ(api().setsockopt(fd, SOL_SOCKET, name, &tv, sizeof tv), 0) << "setsockopt: " << err();
}

}  // namespace weft::conformance
