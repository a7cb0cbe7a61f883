// weft-intercept-bench: a bulk TCP transfer through the LD_PRELOAD intercept
// (docs/intercept.md) beside the same transfer through the SDK's C API and
// over kernel loopback, in one run.
//
// The parent starts a root, a controller and two weftd node daemons
// (tests/integration/intercept_world.hpp, as intercept_test does), then three
// pairs of peer processes, all of them this binary again (`--peer`):
//
//   intercept  server: `weft run` on daemon A, kernel-socket code (bench
//              tcp_measure.hpp, Api{false}) bound to A's virtual IPv4;
//              client: `weft run` on daemon B, the same kernel-socket code.
//              The programs do not know Weft: the preload makes their sockets
//              virtual and weftd carries the bytes.
//   sdk        server and client: one node each through the public C API
//              (weft_node_* and weft_socket..., Api{true}), on the same root,
//              controller and network: the reference.
//   kernel     server and client: the kernel-socket code on 127.0.0.1.
//
// Each client measures, on the parent's command: one-stream throughput (B
// bytes sent, timed from the connected socket to the server's 8-byte count of
// all bytes received) and 1-byte round trips (p50, p99). Runs are
// interleaved, the order of the cases rotated each run; medians, min and max
// are printed, with the intercept/SDK ratio of each run and its median (the
// issue's target: >= 0.70). The CPU time (utime+stime from /proc) each
// process spent during the transfers is printed too, per GB: where the
// intercept's extra cost lands.
//
//   weft-intercept-bench [--runs N] [--bytes B] [--rtt-count N]
//
// Loopback only. Processes are not pinned; run the whole bench under taskset
// to restrict it (the allowed CPUs are printed). Figures: bench/README.md.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "integration/child_process.hpp"
#include "integration/intercept_world.hpp"
#include "tcp_measure.hpp"
#include "weft/weft.h"

namespace {

using weft::integration::ChildProcess;
using weft::integration::words;

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

std::string self_path() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

// ---- the peers

// An SDK node on `net`: says its address, waits for the parent to authorize
// it ("go" on stdin), joins and waits for its IPv4 address.
weft_node* sdk_node(const std::string& state, const std::string& root, const std::string& net,
                    std::string& ip) {
  const char* r = root.c_str();
  weft_node_config c{};
  c.version = WEFT_NODE_CONFIG_VERSION;
  c.state_dir = state.c_str();
  c.roots = &r;
  c.root_count = 1;
  c.bind = "127.0.0.1:0";
  weft_node* n = weft_node_create(&c);
  if (n == nullptr) return nullptr;
  char hex[32];
  std::snprintf(hex, sizeof hex, "%010llx", static_cast<unsigned long long>(weft_node_address(n)));
  say(std::string("node ") + hex);
  std::string go;
  std::getline(std::cin, go);
  const std::uint64_t id = std::stoull(net, nullptr, 16);
  sockaddr_storage ss{};
  if (weft_node_join(n, id) != 0 || weft_node_start(n) != 0 ||
      weft_node_wait_address(n, id, AF_INET, &ss, 30000) != 0) {
    std::fprintf(stderr, "sdk node: %s\n", weft_last_error());
    return nullptr;
  }
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, text, sizeof text);  // NOLINT
  ip = text;
  return n;
}

// --peer serve kernel IP | --peer serve sdk STATE ROOT NET
// Discard and echo servers; prints "serving IP DISCARD_PORT ECHO_PORT", then
// runs until its stdin closes.
int peer_serve(const std::vector<std::string>& a) {
  const bool sdk = a.at(0) == "sdk";
  std::string ip = sdk ? "" : a.at(1);
  if (sdk && sdk_node(a.at(1), a.at(2), a.at(3), ip) == nullptr) return 1;
  const weft::bench::Api api{sdk};
  const auto at = weft::bench::v4(sdk ? "0.0.0.0" : ip.c_str(), 0);
  const int discard = weft::bench::serve(api, at, true);
  const int echo = weft::bench::serve(api, at, false);
  if (discard < 0 || echo < 0) {
    std::perror("serve");
    return 1;
  }
  say("serving " + ip + " " + std::to_string(discard) + " " + std::to_string(echo));
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  std::_Exit(0);  // server threads may still block in accept or recv
}

// --peer client kernel | --peer client sdk STATE ROOT NET
// Prints "ready", then answers commands on stdin, one line each:
//   tput IP PORT BYTES -> "tput MB/s"        rtt IP PORT COUNT -> "rtt P50_US P99_US"
int peer_client(const std::vector<std::string>& a) {
  const bool sdk = a.at(0) == "sdk";
  std::string ip;
  if (sdk && sdk_node(a.at(1), a.at(2), a.at(3), ip) == nullptr) return 1;
  const weft::bench::Api api{sdk};
  say("ready");
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string op;
    std::string to;
    int port = 0;
    std::uint64_t n = 0;
    if (!(in >> op >> to >> port >> n)) return 2;
    const auto addr = weft::bench::v4(to.c_str(), static_cast<std::uint16_t>(port));
    if (op == "tput") {
      say("tput " + std::to_string(weft::bench::throughput_mb_s(api, addr, n)));
    } else if (op == "rtt") {
      const auto r = weft::bench::rtt(api, addr, static_cast<int>(n));
      say("rtt " + std::to_string(r.p50_us) + " " + std::to_string(r.p99_us));
    } else {
      return 2;
    }
  }
  std::_Exit(0);  // the SDK node's threads need no orderly end here
}

// ---- the parent

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = all.rfind(')');
  if (close == std::string::npos) return 0;
  // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
  std::istringstream rest(all.substr(close + 2));
  std::string f;
  unsigned long utime = 0;
  unsigned long stime = 0;
  for (int i = 3; i <= 15 && rest >> f; ++i) {
    if (i == 14) utime = std::stoul(f);
    if (i == 15) stime = std::stoul(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a;
  std::string b;
  std::string c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return "?";
  std::string s;
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (CPU_ISSET(i, &set)) s += (s.empty() ? "" : ",") + std::to_string(i);
  }
  return s;
}

struct Stats {
  double median, min, max;
};

Stats stats(std::vector<double> v) {
  if (v.empty()) return {0, 0, 0};
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const double med = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {med, v.front(), v.back()};
}

// One case: a server and a client process, and the processes whose CPU the
// transfer costs (for the intercept, the two daemons as well).
struct Case {
  std::string name;
  std::unique_ptr<ChildProcess> server;
  std::unique_ptr<ChildProcess> client;
  std::string ip;
  std::string discard_port;
  std::string echo_port;
  std::vector<std::pair<std::string, pid_t>> processes;
  std::vector<double> mb_s;
  std::vector<double> p50;
  std::vector<double> p99;
  std::vector<double> cpu;  // per process, seconds summed over the transfers
  double transfer_seconds = 0;

  bool serving() {
    const auto w = words(server->expect_line("serving ", std::chrono::seconds(60)));
    if (w.size() != 4) return false;
    ip = w[1];
    discard_port = w[2];
    echo_port = w[3];
    return true;
  }
  bool ready() const { return client->expect_line("ready", std::chrono::seconds(60)) == "ready"; }

  // A command to the client; its answer's numbers.
  std::vector<double> ask(const std::string& op, const std::string& port, std::uint64_t n) {
    client->write_line(op + " " + ip + " " + port + " " + std::to_string(n));
    const auto w = words(client->read_line(std::chrono::minutes(10)));
    std::vector<double> out;
    if (w.empty() || w[0] != op) return out;
    for (std::size_t i = 1; i < w.size(); ++i) out.push_back(std::stod(w[i]));
    return out;
  }

  bool transfer(std::uint64_t bytes) {
    std::vector<double> before;
    for (const auto& p : processes) before.push_back(cpu_seconds(p.second));
    const auto r = ask("tput", discard_port, bytes);
    if (r.size() != 1) return false;
    mb_s.push_back(r[0]);
    transfer_seconds += static_cast<double>(bytes) / 1e6 / r[0];
    cpu.resize(processes.size());
    for (std::size_t i = 0; i < processes.size(); ++i)
      cpu[i] += cpu_seconds(processes[i].second) - before[i];
    return true;
  }
  bool round_trips(int count) {
    const auto r = ask("rtt", echo_port, static_cast<std::uint64_t>(count));
    if (r.size() != 2) return false;
    p50.push_back(r[0]);
    p99.push_back(r[1]);
    return true;
  }
};

// An SDK peer: authorize its node on the lab network, then let it join.
bool admit(const weft::integration::World& world, ChildProcess& peer) {
  const auto w = words(peer.expect_line("node ", std::chrono::seconds(60)));
  return w.size() == 2 && world.authorize(w[1]) && peer.write_line("go");
}

struct Options {
  int runs = 5;
  std::uint64_t bytes = std::uint64_t{256} << 20U;
  int rtt_count = 2000;
};

int parent(const Options& o) {
  using weft::integration::World;
  const std::string self = self_path();
  std::printf("weft-intercept-bench: %d runs of %llu bytes and %d round trips per case\n", o.runs,
              static_cast<unsigned long long>(o.bytes), o.rtt_count);
  std::printf("load average at start: %s; CPUs allowed: %s, processes unpinned\n",
              loadavg().c_str(), allowed_cpus().c_str());
  std::fflush(stdout);
  World world;
  if (!world.ready()) {
    std::fprintf(stderr, "the lab (root, controller, two weftd daemons) did not come up\n");
    return 1;
  }
  const auto spawn = [](const std::vector<std::string>& argv) { return ChildProcess::spawn(argv); };
  std::array<Case, 3> cases;

  Case& icpt = cases[0];
  icpt.name = "intercept";
  icpt.server = spawn(world.a().run({self, "--peer", "serve", "kernel", world.a().ip4}));
  icpt.client = spawn(world.b().run({self, "--peer", "client", "kernel"}));

  Case& sdk = cases[1];
  sdk.name = "sdk";
  sdk.server = spawn({self, "--peer", "serve", "sdk", world.dir() + "/sdk-server",
                      world.root_line(), world.net()});
  sdk.client = spawn({self, "--peer", "client", "sdk", world.dir() + "/sdk-client",
                      world.root_line(), world.net()});

  Case& kernel = cases[2];
  kernel.name = "kernel";
  kernel.server = spawn({self, "--peer", "serve", "kernel", "127.0.0.1"});
  kernel.client = spawn({self, "--peer", "client", "kernel"});

  for (auto& c : cases) {
    if (!c.server || !c.client) return 1;
  }
  if (!admit(world, *sdk.server) || !admit(world, *sdk.client)) return 1;
  for (auto& c : cases) {
    if (!c.serving() || !c.ready()) {
      std::fprintf(stderr, "the %s peers did not come up\n", c.name.c_str());
      return 1;
    }
  }
  icpt.processes = {{"client", icpt.client->pid()},
                    {"weftd B", world.b().process->pid()},
                    {"weftd A", world.a().process->pid()},
                    {"server", icpt.server->pid()}};
  sdk.processes = {{"client+node", sdk.client->pid()}, {"server+node", sdk.server->pid()}};
  kernel.processes = {{"client", kernel.client->pid()}, {"server", kernel.server->pid()}};
  std::printf(
      "pids: weftd A %d, weftd B %d; intercept server %d, client %d; sdk server %d, "
      "client %d; kernel server %d, client %d\n",
      world.a().process->pid(), world.b().process->pid(), icpt.server->pid(), icpt.client->pid(),
      sdk.server->pid(), sdk.client->pid(), kernel.server->pid(), kernel.client->pid());
  std::fflush(stdout);

  // Warm up: ARP, the peers' paths and sessions, the daemons' bridges.
  for (auto& c : cases) {
    if (c.ask("tput", c.discard_port, std::uint64_t{16} << 20U).size() != 1) return 1;
  }
  for (int run = 0; run < o.runs; ++run) {
    for (std::size_t k = 0; k < cases.size(); ++k) {
      Case& c = cases[(k + static_cast<std::size_t>(run)) % cases.size()];
      if (!c.transfer(o.bytes)) {
        std::fprintf(stderr, "%s: transfer failed\n", c.name.c_str());
        return 1;
      }
    }
    for (std::size_t k = 0; k < cases.size(); ++k) {
      Case& c = cases[(k + static_cast<std::size_t>(run)) % cases.size()];
      if (!c.round_trips(o.rtt_count)) {
        std::fprintf(stderr, "%s: round trips failed\n", c.name.c_str());
        return 1;
      }
    }
  }

  std::vector<double> ratio;
  for (std::size_t run = 0; run < icpt.mb_s.size(); ++run)
    ratio.push_back(icpt.mb_s[run] / sdk.mb_s[run]);
  std::printf("\n%-10s %24s %22s %22s\n", "case", "MB/s median (min-max)", "RTT p50 us (min-max)",
              "RTT p99 us (min-max)");
  for (auto& c : cases) {
    const auto t = stats(c.mb_s);
    const auto a = stats(c.p50);
    const auto b = stats(c.p99);
    std::printf("%-10s %8.1f (%6.1f-%6.1f) %6.1f (%5.1f-%6.1f) %6.1f (%5.1f-%6.1f)\n",
                c.name.c_str(), t.median, t.min, t.max, a.median, a.min, a.max, b.median, b.min,
                b.max);
  }
  const auto r = stats(ratio);
  std::printf("\nintercept/sdk throughput, per run:");
  for (double x : ratio) std::printf(" %.2f", x);
  std::printf("\nintercept/sdk throughput: median %.2f (min %.2f, max %.2f); target >= 0.70: %s\n",
              r.median, r.min, r.max, r.median >= 0.70 ? "met" : "NOT met");
  std::printf("intercept/sdk RTT p50: %.2f; kernel/sdk throughput: %.2f\n",
              stats(icpt.p50).median / stats(sdk.p50).median,
              stats(kernel.mb_s).median / stats(sdk.mb_s).median);

  std::printf(
      "\nCPU seconds per GB moved during the transfers (utime+stime; the sum over "
      "wall seconds = cores busy):\n");
  for (auto& c : cases) {
    const double gb = static_cast<double>(o.bytes) * o.runs / 1e9;
    double total = 0;
    std::printf("  %-10s", c.name.c_str());
    for (std::size_t i = 0; i < c.processes.size(); ++i) {
      std::printf(" %s %.2f,", c.processes[i].first.c_str(), c.cpu[i] / gb);
      total += c.cpu[i];
    }
    std::printf(" total %.2f; cores busy %.2f\n", total / gb, total / c.transfer_seconds);
  }
  std::printf("load average at end: %s\n", loadavg().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "--peer") {
    const std::vector<std::string> rest(argv + 3, argv + argc);
    if (std::string(argv[2]) == "serve") return peer_serve(rest);
    if (std::string(argv[2]) == "client") return peer_client(rest);
    return 2;
  }
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "usage: weft-intercept-bench [--runs N] [--bytes B] [--rtt-count N]\n");
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--runs")
      o.runs = std::max(1, std::stoi(value));
    else if (flag == "--bytes")
      o.bytes = std::max<std::uint64_t>(1, std::stoull(value));
    else if (flag == "--rtt-count")
      o.rtt_count = std::max(1, std::stoi(value));
    else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  return parent(o);
}
