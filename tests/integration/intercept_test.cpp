// Unmodified programs on the virtual network (docs/intercept.md): a root, a
// controller and two node daemons (weftd) on loopback; every program runs
// through `weft run`, the servers on one node and the clients on the other.
// The socket programs of tests/programs/, Python's socket/selectors/asyncio,
// curl against `python3 -m http.server`, netcat (TCP both ways, UDP), Redis;
// then what goes wrong: no daemon, a daemon killed under a running program,
// garbage on the intercept socket, another user.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/child_process.hpp"
#include "integration/files.hpp"
#include "integration/intercept_world.hpp"
#include "integration/program_runner.hpp"
#include "integration/socket_program_checks.hpp"
#include "osdep/unique_fd.hpp"
#include "support/build_kind.hpp"
#include "support/pattern.hpp"
#include "wire/field.hpp"
#include "wire/intercept_message.hpp"

namespace weft::integration {
namespace {

using namespace std::chrono_literals;

const std::string kPython = WEFT_PYTHON3;

bool installed(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// A program's whole run: its stdout and exit code.
ProgramRun run_to_end(const std::vector<std::string>& argv) {
  auto p = ChildProcess::spawn(argv);
  if (!p) return {};
  return finish(*p);
}

// The World (intercept_world.hpp) is built once for the suite: starting
// daemons costs seconds under sanitizers. Tests that break a daemon start their own.
class InterceptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { world_ = new World; }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(world_->ready()) << "the lab did not come up"; }

  static ProgramRunner server_on(const Daemon& d) { return ProgramRunner{d.run_prefix(), d.ip4}; }
  static ProgramRunner client_of(const Daemon& client, const Daemon& server) {
    return ProgramRunner{client.run_prefix(), server.ip4};
  }

  static World* world_;
};

World* InterceptTest::world_ = nullptr;

// --- the socket programs -------------------------------------------------------

TEST_F(InterceptTest, EveryClientProgramAgainstEchoServer) {
  check_clients_in_turn(server_on(world_->a()), client_of(world_->b(), world_->a()),
                        server_kinds()[0]);
}

TEST_F(InterceptTest, EveryClientProgramAgainstPythonSelectorsServer) {
  check_clients_in_turn(server_on(world_->a()), client_of(world_->b(), world_->a()),
                        server_kinds()[1]);
}

TEST_F(InterceptTest, EveryClientProgramAgainstPythonAsyncioServer) {
  check_clients_in_turn(server_on(world_->b()), client_of(world_->a(), world_->b()),
                        server_kinds()[2]);
}

TEST_F(InterceptTest, AllClientProgramsAtOnce) {
  check_clients_at_once(server_on(world_->a()), client_of(world_->b(), world_->a()),
                        server_kinds()[0]);
}

TEST_F(InterceptTest, NonBlockingConnectToNoListenerIsRefused) {
  check_refused(client_of(world_->b(), world_->a()), "7999");
}

// --- well-known programs ---------------------------------------------------------

// `python3 -m http.server` on one node, curl on the other; the file byte-exact.
void fetch_with_curl(const Daemon& server, const Daemon& client, const std::string& dir,
                     std::uint32_t seed, bool by_name = false) {
  const std::size_t size = test_support::kFullSpeedBuild ? 100u << 20 : 8u << 20;
  const std::string www = dir + "/www-" + server.address;
  std::filesystem::create_directories(www);
  const Bytes data = test_support::pattern(size, seed);
  write_file(www + "/file.bin", data);
  const HttpServer http = serve_http(server, kPython, www);
  ASSERT_FALSE(http.port.empty());
  const std::string out = dir + "/fetched-" + client.address;
  const std::string url =
      "http://" + (by_name ? server.name : server.ip4) + ":" + http.port + "/file.bin";
  const auto r = run_to_end(client.run(fetch_command(kPython, url, out)));
  EXPECT_EQ(r.exit_code, 0);
  const std::string got = slurp(out);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == as_string(data)) << "the fetched file differs";
}

TEST_F(InterceptTest, CurlFetchesFromPythonHttpServer) {
  if (!installed("/usr/bin/curl"))
    GTEST_SKIP() << "curl is not installed (scripts/bootstrap.sh installs it)";
  fetch_with_curl(world_->a(), world_->b(), world_->dir(), 1);
}

TEST_F(InterceptTest, CurlFetchesFromPythonHttpServerTheOtherWay) {
  if (!installed("/usr/bin/curl"))
    GTEST_SKIP() << "curl is not installed (scripts/bootstrap.sh installs it)";
  fetch_with_curl(world_->b(), world_->a(), world_->dir(), 2, /*by_name=*/true);
}

// --- wildcard binds -------------------------------------------------------------

// `weft run --wildcard both`: one listener bound to 0.0.0.0 takes a kernel
// connection (from this test, over loopback) and a virtual one (a program on
// the other node), each answered with the peer address accept() gave.
TEST_F(InterceptTest, WildcardBothListensOnTheKernelAndTheVirtualNetwork) {
  const Daemon& a = world_->a();
  const Daemon& b = world_->b();
  const std::string server = R"(
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("0.0.0.0", 0))
s.listen(8)
print("port", s.getsockname()[1], flush=True)
for _ in range(2):
    c, peer = s.accept()
    c.sendall(c.recv(100) + b" from " + peer[0].encode())
    c.close()
)";
  auto argv = a.run_prefix();
  argv.insert(argv.end() - 1, {"--wildcard", "both"});
  argv.insert(argv.end(), {kPython, "-c", server});
  auto listener = ChildProcess::spawn(argv, ChildProcess::Ending::terminate);
  ASSERT_TRUE(listener);
  const auto w = words(listener->expect_line("port "));
  ASSERT_EQ(w.size(), 2U);
  const int port = std::stoi(w[1]);

  // The kernel side: this process is not under the preload.
  osdep::UniqueFd k(::socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_TRUE(k);
  const timeval limit{30, 0};
  ASSERT_EQ(::setsockopt(k.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(k.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to), 0)
      << std::strerror(errno);
  ASSERT_EQ(::send(k.get(), "kernel", 6, 0), 6);
  std::array<char, 128> got{};
  std::size_t n = 0;
  for (ssize_t m; (m = ::recv(k.get(), got.data() + n, got.size() - n, 0)) > 0;)
    n += static_cast<std::size_t>(m);
  EXPECT_EQ(std::string(got.data(), n), "kernel from 127.0.0.1");

  // The virtual side: a program on the other node.
  const auto r = run_command(b.run(
      {kPython, "-c",
       "import socket, sys\n"
       "c = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n"
       "c.sendall(b'virtual')\n"
       "print(c.recv(100).decode())\n",
       a.ip4, std::to_string(port)}));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "virtual from " + b.ip4 + "\n");
  ASSERT_TRUE(listener->exited_within(30s));
  EXPECT_EQ(listener->wait_exit(), 0);
}

// An IPv6 socket bound to :: (Python's create_server with dualstack_ipv6, the
// kernel's default made explicit) takes the other node's IPv4 and IPv6
// connections, IPv4 ones as ::ffff:a.b.c.d; one with IPV6_V6ONLY set before
// bind refuses IPv4, and the option reads back as each program set it.
TEST_F(InterceptTest, DualStackListenerTakesBothFamilies) {
  const Daemon& a = world_->a();
  const Daemon& b = world_->b();
  const std::string server = R"(
import socket
V6ONLY = (socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
s = socket.create_server(("::", 0), family=socket.AF_INET6, dualstack_ipv6=True)
o = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
o.setsockopt(*V6ONLY, 1)
o.bind(("::", 0))
o.listen(1)
print("ports", s.getsockname()[1], s.getsockopt(*V6ONLY), o.getsockname()[1], o.getsockopt(*V6ONLY),
      flush=True)
for _ in range(2):
    c, peer = s.accept()
    c.sendall(c.recv(100) + b" from " + peer[0].encode())
    c.close()
)";
  auto listener = ChildProcess::spawn(a.run({kPython, "-c", server}), ChildProcess::Ending::terminate);
  ASSERT_TRUE(listener);
  const auto w = words(listener->expect_line("ports "));
  ASSERT_EQ(w.size(), 5U);
  EXPECT_EQ(w[2], "0");  // dual-stack
  EXPECT_EQ(w[4], "1");  // IPv6 only
  const auto r = run_command(b.run(
      {kPython, "-c",
       "import socket, sys\n"
       "for host, port, what in ((sys.argv[1], sys.argv[3], b'v4'), (sys.argv[2], sys.argv[3], b'v6'),\n"
       "                         (sys.argv[1], sys.argv[4], b'v4 to v6-only')):\n"
       "    try:\n"
       "        c = socket.create_connection((host, int(port)), timeout=10)\n"
       "        c.sendall(what)\n"
       "        print(c.recv(100).decode())\n"
       "    except ConnectionRefusedError:\n"
       "        print(what.decode(), 'refused')\n",
       a.ip4, a.ip6, w[1], w[3]}));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "v4 from ::ffff:" + b.ip4 + "\nv6 from " + b.ip6 + "\nv4 to v6-only refused\n");
  ASSERT_TRUE(listener->exited_within(30s));
  EXPECT_EQ(listener->wait_exit(), 0);
}

// --- names ----------------------------------------------------------------------

// The lab's member names, as an unmodified program's resolver calls see them
// through the intercept: getaddrinfo (Python's getaddrinfo and gethostbyname),
// gethostbyname_r (gethostbyname_ex); unknown names under the domain fail
// there, and every other name is still the system's.
TEST_F(InterceptTest, MemberNamesResolveThroughTheIntercept) {
  const Daemon& a = world_->a();
  const Daemon& b = world_->b();
  const std::string script = R"(
import socket, sys
name, bare = sys.argv[1], sys.argv[2]
def addrs(host, family=0):
    return sorted({ai[4][0] for ai in socket.getaddrinfo(host, 80, family, socket.SOCK_STREAM)})
def fails(host):
    try:
        socket.getaddrinfo(host, 80)
        return "resolved"
    except socket.gaierror as e:
        return "noname" if e.errno == socket.EAI_NONAME else "error %d" % e.errno
print("all", *addrs(name))
print("upper", *addrs(name.upper() + "."))
print("bare", *addrs(bare))
print("v4", *addrs(name, socket.AF_INET))
print("v6", *addrs(name, socket.AF_INET6))
print("canon", socket.getaddrinfo(name, 80, 0, 0, 0, socket.AI_CANONNAME)[0][3])
print("byname", socket.gethostbyname(name))
h = socket.gethostbyname_ex(name)
print("byname_ex", h[0], *h[2])
print("unknown", fails("nobody." + name.split(".", 1)[1]))
print("localhost", *addrs("localhost", socket.AF_INET))
print("literal", *addrs("127.0.0.1"))
)";
  const auto r = run_command(a.run({kPython, "-c", script, b.name, b.name.substr(0, 1)}));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto has = [&](const std::string& line) {
    return r.out.find(line + "\n") != std::string::npos;
  };
  const std::string both = b.ip6 < b.ip4 ? b.ip6 + " " + b.ip4 : b.ip4 + " " + b.ip6;
  EXPECT_TRUE(has("all " + both)) << r.out;
  EXPECT_TRUE(has("upper " + both)) << r.out;
  EXPECT_TRUE(has("bare " + both)) << r.out;
  EXPECT_TRUE(has("v4 " + b.ip4)) << r.out;
  EXPECT_TRUE(has("v6 " + b.ip6)) << r.out;
  EXPECT_TRUE(has("canon " + b.name)) << r.out;
  EXPECT_TRUE(has("byname " + b.ip4)) << r.out;
  EXPECT_TRUE(has("byname_ex " + b.name + " " + b.ip4)) << r.out;
  EXPECT_TRUE(has("unknown noname")) << r.out;
  EXPECT_TRUE(has("localhost 127.0.0.1")) << r.out;
  EXPECT_TRUE(has("literal 127.0.0.1")) << r.out;
}

// nc -l on one node (-d: it reads only the network; its output to a file, as a
// full stdout pipe would stall the transfer), nc sending a file from the other
// (both through sh: an exec'd program keeps the intercept).
void netcat_tcp(const Daemon& server, const Daemon& client, const std::string& dir,
                const std::string& port) {
  const Bytes data = test_support::pattern(1u << 20, 7);
  const std::string in = dir + "/nc-" + client.address + ".in";
  const std::string out = dir + "/nc-" + server.address + ".out";
  write_file(in, data);
  auto listener = ChildProcess::spawn(server.run(
      {"/bin/sh", "-c", "exec /usr/bin/nc -d -l " + server.ip4 + " " + port + " > " + out}));
  ASSERT_TRUE(listener);
  // nc prints nothing when it listens: retry the client until the listener is up.
  ProgramRun sent;
  for (int i = 0; i < 100; ++i) {
    sent = run_to_end(client.run(
        {"/bin/sh", "-c", "exec /usr/bin/nc -N " + server.ip4 + " " + port + " < " + in}));
    if (sent.exit_code == 0) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(sent.exit_code, 0);
  EXPECT_TRUE(listener->exited_within(60s));
  EXPECT_EQ(listener->wait_exit(), 0);
  const std::string got = slurp(out);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == as_string(data)) << "nc received different bytes";
}

TEST_F(InterceptTest, NetcatTcpBothWays) {
  if (!installed("/usr/bin/nc"))
    GTEST_SKIP() << "nc is not installed (scripts/bootstrap.sh installs netcat-openbsd)";
  netcat_tcp(world_->a(), world_->b(), world_->dir(), "9100");
  netcat_tcp(world_->b(), world_->a(), world_->dir(), "9101");
}

TEST_F(InterceptTest, NetcatUdp) {
  if (!installed("/usr/bin/nc"))
    GTEST_SKIP() << "nc is not installed (scripts/bootstrap.sh installs netcat-openbsd)";
  const Daemon& a = world_->a();
  const Daemon& b = world_->b();
  auto listener = ChildProcess::spawn(a.run({"/usr/bin/nc", "-u", "-l", a.ip4, "9102"}),
                                      ChildProcess::Ending::terminate);
  ASSERT_TRUE(listener);
  std::string line;
  // A datagram sent before the listener binds is lost, as UDP's would be: resend until one arrives.
  for (int i = 0; i < 100 && line.empty(); ++i) {
    (void)run_to_end(b.run(
        {"/bin/sh", "-c",
         "printf 'datagram over the overlay\\n' | exec /usr/bin/nc -u -w0 " + a.ip4 + " 9102"}));
    listener->read_line(line, 100ms);
  }
  EXPECT_EQ(line, "datagram over the overlay");
}

TEST_F(InterceptTest, RedisServerCliAndBenchmark) {
  if (!installed("/usr/bin/redis-server") || !installed("/usr/bin/redis-cli") ||
      !installed("/usr/bin/redis-benchmark"))
    GTEST_SKIP()
        << "redis is not installed (scripts/bootstrap.sh installs redis-server and redis-tools)";
  const Daemon& a = world_->a();
  const Daemon& b = world_->b();
  auto server = ChildProcess::spawn(
      a.run({"/usr/bin/redis-server", "--bind", a.ip4, "--port", "6390", "--save", "",
             "--appendonly", "no", "--protected-mode", "no", "--dir", world_->dir()}),
      ChildProcess::Ending::terminate);
  ASSERT_TRUE(server);
  EXPECT_FALSE(server->expect_line("", 30s).empty());
  std::vector<std::string> set_line;
  for (int i = 0; i < 100; ++i) {
    const auto r = run_to_end(
        b.run({"/usr/bin/redis-cli", "-h", a.ip4, "-p", "6390", "set", "greeting", "hello"}));
    if (!r.lines.empty() && r.lines[0] == "OK") {
      set_line = r.lines;
      break;
    }
    std::this_thread::sleep_for(50ms);  // the server was not listening yet
  }
  ASSERT_FALSE(set_line.empty());
  const auto get =
      run_to_end(b.run({"/usr/bin/redis-cli", "-h", a.ip4, "-p", "6390", "get", "greeting"}));
  ASSERT_FALSE(get.lines.empty());
  EXPECT_EQ(get.lines[0], "hello");
  const auto bench = run_to_end(b.run({"/usr/bin/redis-benchmark", "-h", a.ip4, "-p", "6390", "-q",
                                       "-n", "2000", "-c", "8", "-t", "set,get"}));
  EXPECT_EQ(bench.exit_code, 0);
  std::string all;
  for (const auto& l : bench.lines) all += l + "\n";
  EXPECT_NE(all.find("GET: "), std::string::npos) << all;
  EXPECT_NE(all.find("requests per second"), std::string::npos) << all;
}

// --- what goes wrong -----------------------------------------------------------

TEST_F(InterceptTest, WeftRunWithoutADaemonSaysSoAndExits3) {
  const auto r = run_to_end({"/bin/sh", "-c",
                             std::string(WEFT_CLI_PATH) + " run --state " + world_->dir() +
                                 "/nobody -- /bin/true 2>&1; echo rc=$?"});
  ASSERT_FALSE(r.lines.empty());
  EXPECT_NE(r.lines[0].find("start it with: weftd"), std::string::npos) << r.lines[0];
  EXPECT_EQ(r.lines.back(), "rc=3");
}

TEST_F(InterceptTest, WeftRunWarnsThatAStaticProgramIsOutOfReach) {
  if (!installed("/sbin/ldconfig"))
    GTEST_SKIP() << "no statically linked program here (/sbin/ldconfig)";
  const auto r = run_to_end({"/bin/sh", "-c", "exec \"$@\" 2>&1 >/dev/null", "sh", WEFT_CLI_PATH,
                             "run", "--state", world_->a().state, "--", "/sbin/ldconfig", "-p"});
  ASSERT_FALSE(r.lines.empty());
  EXPECT_NE(r.lines[0].find("/sbin/ldconfig is statically linked"), std::string::npos)
      << r.lines[0];
  EXPECT_EQ(r.exit_code, 0);  // it still runs, on the kernel's sockets
}

// A program whose daemon is gone: its virtual connect is refused with a
// hint, and never sent to the kernel's routes.
TEST_F(InterceptTest, ProgramWithoutDaemonGetsRefusedAndAHint) {
  std::vector<std::string> argv{"/usr/bin/env"};
  auto env = sanitizer_env();
  std::string preload = WEFT_PRELOAD_PATH;
  if (!env.empty()) {
    preload = env[0].substr(std::strlen("LD_PRELOAD=")) + ":" + preload;
    argv.insert(argv.end(), env.begin() + 1, env.end());
  }
  argv.insert(argv.end(),
              {"LD_PRELOAD=" + preload, "WEFT_SOCKET=" + world_->dir() + "/nowhere.sock",
               "WEFT_PREFIXES=10.9.0.0/24", kPython, "-c",
               "import socket,sys\n"
               "s=socket.socket()\n"
               "try:\n"
               "  s.connect(('10.9.0.77', 80)); print('connected')\n"
               "except OSError as e: print('error', e.errno)\n"
               "sys.stdout.flush()\n"});
  // Through sh only to see stderr (the hint) on stdout.
  argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"});
  const auto r = run_to_end(argv);
  std::string all;
  for (const auto& l : r.lines) all += l + "\n";
  EXPECT_NE(all.find("cannot reach weftd"), std::string::npos) << all;
  EXPECT_NE(all.find("error 111"), std::string::npos) << all;  // ECONNREFUSED
}

TEST_F(InterceptTest, DaemonKilledUnderARunningProgram) {
  Daemon c = world_->start("c");
  ASSERT_FALSE(c.ip4.empty());
  auto server = ProgramServer::start(server_on(world_->a()), server_kinds()[0]);
  ASSERT_TRUE(server);
  // A kernel listener on loopback: the program's kernel sockets must keep working.
  osdep::UniqueFd kernel(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(kernel.get(), reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(kernel.get(), 4), 0);
  ASSERT_EQ(::getsockname(kernel.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string script =
      "import socket,sys\n"
      "v=socket.create_connection(('" +
      world_->a().ip4 + "', " + server->port() +
      "))\n"
      "print('connected'); sys.stdout.flush()\n"
      "sys.stdin.readline()\n"
      "try:\n"
      "  print('eof' if v.recv(10) == b'' else 'data')\n"
      "except OSError as e: print('error', e.errno)\n"
      "k=socket.create_connection(('127.0.0.1', " +
      std::to_string(ntohs(addr.sin_port)) +
      "))\n"
      "print('kernel ok'); sys.stdout.flush()\n"
      "try:\n"
      "  socket.create_connection(('" +
      world_->a().ip4 + "', " + server->port() +
      ")); print('virtual connected')\n"
      "except OSError as e: print('virtual error', e.errno)\n";
  auto program = ChildProcess::spawn(c.run({kPython, "-u", "-c", script}));
  ASSERT_TRUE(program);
  EXPECT_EQ(program->read_line(), "connected");
  c.process->kill();
  c.process->wait_exit();
  program->write_line("go");
  EXPECT_EQ(program->read_line(), "eof");
  EXPECT_EQ(program->read_line(), "kernel ok");
  EXPECT_EQ(program->read_line(), "virtual error 111");
  server->stop_and_check();
}

osdep::UniqueFd connect_intercept(const Daemon& d) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  const std::string path = d.state + "/intercept.sock";
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  osdep::UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) != 0) return {};
  timeval tv{10, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

TEST_F(InterceptTest, GarbageOnTheInterceptSocketIsCutOff) {
  const Bytes valid = [] {
    wire::InterceptRequest q;
    q.op = wire::InterceptOp::info;
    return wire::emit_bytes(q);
  }();
  std::vector<Bytes> garbage = {to_bytes("hello, daemon"), Bytes(64, std::byte{0xff}),
                                Bytes(65536, std::byte{1}), Bytes(valid.begin(), valid.end() - 1)};
  Bytes wrong_version = valid;
  wrong_version[0] = std::byte{9};
  garbage.push_back(wrong_version);
  // A name after a request that is not a resolve; a resolve without a name,
  // with one that is no host name, with one over 253 bytes.
  Bytes info_with_tail = valid;
  info_with_tail.push_back(std::byte{'x'});
  garbage.push_back(info_with_tail);
  Bytes resolve = valid;
  resolve[1] = static_cast<std::byte>(wire::InterceptOp::resolve);
  garbage.push_back(resolve);
  for (const std::string& name : {std::string("a b"), std::string(254, 'a')}) {
    Bytes bad = resolve;
    const Bytes tail = to_bytes(name);
    bad.insert(bad.end(), tail.begin(), tail.end());
    garbage.push_back(bad);
  }
  for (const Bytes& g : garbage) {
    auto fd = connect_intercept(world_->a());
    ASSERT_TRUE(fd);
    ::send(fd.get(), g.data(), g.size(), MSG_NOSIGNAL);
    std::array<std::byte, 128> in{};
    ssize_t n = ::recv(fd.get(), in.data(), in.size(), 0);
    if (n == static_cast<ssize_t>(wire::InterceptReply::kSize)) {
      auto r = wire::InterceptReply::parse(ByteSpan(in.data(), static_cast<std::size_t>(n)));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->error, EPROTO);
      n = ::recv(fd.get(), in.data(), in.size(), 0);
    }
    EXPECT_EQ(n, 0) << "the daemon kept a connection that sent garbage";
  }
  // Still serving: an info request, and a real program.
  auto fd = connect_intercept(world_->a());
  ASSERT_TRUE(fd);
  ASSERT_EQ(::send(fd.get(), valid.data(), valid.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(valid.size()));
  std::array<std::byte, 4096> in{};
  const ssize_t n = ::recv(fd.get(), in.data(), in.size(), 0);
  ASSERT_GE(n, static_cast<ssize_t>(wire::InterceptReply::kSize));
  auto r = wire::InterceptReply::parse(ByteSpan(in.data(), wire::InterceptReply::kSize));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, 0);
  EXPECT_GE(r->value, 1);  // the lab network's prefixes
  check_refused(client_of(world_->b(), world_->a()), "7998");
}

TEST_F(InterceptTest, AnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  const std::string path = world_->a().state + "/intercept.sock";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
    ::_exit(::connect(fd, reinterpret_cast<const sockaddr*>(&sun), sizeof sun) == 0 ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "uid 65534 could connect to " << path;
}

}  // namespace
}  // namespace weft::integration
