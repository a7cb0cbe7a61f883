// weft-intercept-bench: TCP through Weft (the LD_PRELOAD intercept, the SDK's
// C API, its fd mode, a kernel TAP member) beside the same measurements over
// kernel TCP, in one run. It is the measuring engine of the bench suite
// (bench/suite.py, scripts/bench.sh) and runs on its own too.
//
// The parent starts a root, a controller and two weftd node daemons
// (tests/integration/intercept_world.hpp, as intercept_test does), then a pair
// of peer processes per case, all of them this binary again (`--peer`):
//
//   intercept  server: `weft run` on daemon A, kernel-socket code (bench
//              tcp_measure.hpp, Api{false}) bound to A's virtual IPv4;
//              client: `weft run` on daemon B, the same kernel-socket code.
//              The programs do not know Weft: the preload makes their sockets
//              virtual and weftd carries the bytes.
//   sdk        server and client: one node each through the public C API
//              (weft_node_* and weft_socket..., Api{true}), on the same root,
//              controller and network.
//   fd         as sdk, but each connection is turned into a kernel fd
//              (weft_export_fd) and moved with the kernel's send/recv.
//   tap        server: kernel-socket code on the address of a third daemon
//              joined with --tap (the Linux kernel is the member); client: an
//              SDK node. Needs root (or a private namespace) and /dev/net/tun.
//   kernel     server and client: the kernel-socket code on 127.0.0.1.
//   --ref NAME:NS_SERVER:NS_CLIENT:IP[:LABEL=PID,...]
//              kernel-socket code in two network namespaces made by the
//              caller (`ip netns exec`), the server on IP: a veth pair or a
//              WireGuard tunnel. The PIDs (e.g. wireguard-go's) are counted in
//              the case's CPU time.
//
// Per run (the order of the cases rotated each run): one-stream throughput
// (B bytes, or as many as go in T seconds with --seconds, timed from the
// connected socket to the server's 8-byte count of all bytes received), S-stream throughput, 1-byte
// round trips (p50, p99) and connections per second (connect, 1-byte echo, close). Then once per
// case: time from start to first byte (a fresh client process: spawn to its first echoed byte; an
// SDK client starts its node from a warm state directory), the RSS of every process, and the RSS
// each process gains while the client holds N idle connections. CPU time (the process's CPU clock,
// process_stats.hpp) of each process during the one-stream transfers gives CPU seconds per GB
// moved. --iperf3 N: N two-second runs of iperf3, an unmodified third-party program, under `weft
// run` on daemons B -> A and over loopback.
//
//   weft-intercept-bench [--cases intercept,sdk,fd,tap,kernel] [--ref ...]
//     [--runs N] [--bytes B | --seconds T] [--rtt-count N] [--streams S] [--connections N]
//     [--idle N] [--ttfb N] [--iperf3 N] [--pin] [--timeout SECONDS] [--json FILE]
//
// --pin: every thread of the client-side processes (client, its daemon or
// wireguard-go) on CPU 0, the server side on CPU 1. Loopback and the caller's
// namespaces only. Figures: bench/README.md.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
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
#include "process_stats.hpp"
#include "tcp_measure.hpp"
#include "weft/weft.h"

namespace {

using weft::integration::ChildProcess;
using weft::integration::words;
using Json = nlohmann::json;

const auto kStart = weft::bench::Clock::now();

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

// A peer's first arguments: KIND (kernel, sdk or fd) and, for sdk and fd,
// STATE ROOT NET; the node is started here. The rest is left in `rest`.
bool peer_api(const std::vector<std::string>& a, weft::bench::Api& api, std::string& ip,
              std::vector<std::string>& rest) {
  const std::string& kind = a.at(0);
  api = weft::bench::Api{kind != "kernel", kind == "fd"};
  std::size_t used = 1;
  if (api.weft) {
    if (a.size() < 4 || sdk_node(a[1], a[2], a[3], ip) == nullptr) return false;
    used = 4;
  }
  rest.assign(a.begin() + static_cast<std::ptrdiff_t>(used), a.end());
  return true;
}

// --peer serve KIND [STATE ROOT NET] [IP]
// Discard and echo servers; prints "serving IP DISCARD_PORT ECHO_PORT", then
// runs until its stdin closes.
int peer_serve(const std::vector<std::string>& a) {
  weft::bench::Api api{false};
  std::string ip;
  std::vector<std::string> rest;
  if (!peer_api(a, api, ip, rest)) return 1;
  if (!api.weft) ip = rest.at(0);
  const auto at = weft::bench::v4(api.weft ? "0.0.0.0" : ip.c_str(), 0);
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

// --peer client KIND [STATE ROOT NET]
// Prints "ready", then answers commands on stdin, one line each, "OP IP PORT N [M]":
//   tput: one stream of N bytes -> "tput MB/s"; tputt: one stream for N ms ->
//   "tputt MB/s BYTES"; tputn: M streams of N bytes each
//   -> "tputn MB/s"; rtt: N round trips -> "rtt P50_US P99_US"; conn: N
//   connections -> "conn PER_S"; idle: opens N connections and keeps them ->
//   "idle OPENED"; close: closes them -> "close N".
int peer_client(const std::vector<std::string>& a) {
  weft::bench::Api api{false};
  std::string ip;
  std::vector<std::string> rest;
  if (!peer_api(a, api, ip, rest)) return 1;
  say("ready");
  std::vector<int> idle;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string op;
    std::string to;
    int port = 0;
    std::uint64_t n = 0;
    int m = 1;
    if (!(in >> op >> to >> port >> n)) return 2;
    in >> m;
    const auto addr = weft::bench::v4(to.c_str(), static_cast<std::uint16_t>(port));
    if (op == "tput") {
      say("tput " + std::to_string(weft::bench::throughput_mb_s(api, addr, n)));
    } else if (op == "tputt") {
      const auto r = weft::bench::throughput_for(api, addr, static_cast<double>(n) / 1000);
      say("tputt " + std::to_string(r.mb_s) + " " + std::to_string(r.bytes));
    } else if (op == "tputn") {
      say("tputn " + std::to_string(weft::bench::throughput_streams_mb_s(api, addr, n, m)));
    } else if (op == "rtt") {
      const auto r = weft::bench::rtt(api, addr, static_cast<int>(n));
      say("rtt " + std::to_string(r.p50_us) + " " + std::to_string(r.p99_us));
    } else if (op == "conn") {
      say("conn " + std::to_string(weft::bench::connection_rate(api, addr, static_cast<int>(n))));
    } else if (op == "idle") {
      idle = weft::bench::open_idle(api, addr, static_cast<int>(n));
      say("idle " + std::to_string(idle.size()));
    } else if (op == "close") {
      for (int fd : idle) api.close(fd);
      say("close " + std::to_string(std::exchange(idle, {}).size()));
    } else {
      return 2;
    }
  }
  std::_Exit(0);  // the SDK node's threads need no orderly end here
}

// --peer first KIND [STATE ROOT NET] IP PORT
// Connects to an echo server, one byte there and back, prints "first MS"
// (milliseconds since this process's main began) and ends.
int peer_first(const std::vector<std::string>& a) {
  weft::bench::Api api{false};
  std::string ip;
  std::vector<std::string> rest;
  if (!peer_api(a, api, ip, rest) || rest.size() != 2) return 1;
  const auto to = weft::bench::v4(rest[0].c_str(), static_cast<std::uint16_t>(std::stoi(rest[1])));
  const int fd = weft::bench::connect_to(api, to);
  char b = 'f';
  if (api.send(fd, &b, 1) != 1 || api.recv(fd, &b, 1) != 1) return 1;
  say("first " +
      std::to_string(
          std::chrono::duration<double, std::milli>(weft::bench::Clock::now() - kStart).count()));
  std::_Exit(0);
}

// ---- the parent

// Every thread of the process on `cpu` (threads made later inherit it).
bool pin(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  bool ok = true;
  std::error_code ec;
  for (const auto& t :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec))
    ok = ::sched_setaffinity(std::stoi(t.path().filename().string()), sizeof set, &set) == 0 && ok;
  return ok && !ec;
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

struct Process {
  std::string label;
  pid_t pid;
  bool client_side;  // pinned to CPU 0 with --pin (the server side to CPU 1)
};

// One case: a server and a client process and the processes whose CPU the
// transfers cost (for the intercept, the two daemons as well).
struct Case {
  std::string name;
  std::string what;
  std::unique_ptr<ChildProcess> server;
  std::unique_ptr<ChildProcess> client;
  // How to start another client like this one, for time to first byte: the
  // command before "--peer first ..." and its kind's arguments after it.
  std::vector<std::string> first_prefix;
  std::vector<std::string> first_kind;
  bool first_is_sdk = false;
  std::string ip;
  std::string discard_port;
  std::string echo_port;
  std::vector<Process> processes;
  std::chrono::seconds timeout{300};
  std::string failed;  // why the case stopped, if it did
  std::vector<double> mb_s;
  std::vector<double> mb_s_streams;
  std::vector<double> p50;
  std::vector<double> p99;
  std::vector<double> conn_s;
  std::vector<double> ttfb_ms;
  std::vector<double> cpu;  // per process, seconds summed over the one-stream transfers
  double transfer_seconds = 0;
  std::uint64_t bytes_moved = 0;
  Json rss = Json::object();
  Json idle = Json::object();

  bool serving() {
    const auto w = words(server->expect_line("serving ", std::chrono::seconds(60)));
    if (w.size() != 4) return false;
    ip = w[1];
    discard_port = w[2];
    echo_port = w[3];
    return true;
  }
  bool ready() const { return client->expect_line("ready", std::chrono::seconds(60)) == "ready"; }

  // A command to the client; its answer's numbers (none, and the case marked
  // failed with its client ended, if it did not answer in time).
  std::vector<double> ask(const std::string& op, const std::string& port, std::uint64_t n,
                          int m = 1) {
    if (!failed.empty()) return {};
    client->write_line(op + " " + ip + " " + port + " " + std::to_string(n) + " " +
                       std::to_string(m));
    const auto w = words(client->read_line(timeout));
    std::vector<double> out;
    if (w.empty() || w[0] != op) {
      failed = op + ": no answer within " + std::to_string(timeout.count()) + " s";
      std::fprintf(stderr, "%s: %s\n", name.c_str(), failed.c_str());
      client->kill();
      return out;
    }
    for (std::size_t i = 1; i < w.size(); ++i) out.push_back(std::stod(w[i]));
    return out;
  }

  // One stream of `bytes`, or for `millis` if that is not 0.
  void transfer(std::uint64_t bytes, std::uint64_t millis) {
    std::vector<double> before;
    for (const auto& p : processes) before.push_back(weft::bench::cpu_seconds(p.pid));
    const auto r =
        millis > 0 ? ask("tputt", discard_port, millis) : ask("tput", discard_port, bytes);
    if (r.empty()) return;
    if (millis > 0) bytes = static_cast<std::uint64_t>(r.at(1));
    mb_s.push_back(r[0]);
    transfer_seconds += static_cast<double>(bytes) / 1e6 / r[0];
    bytes_moved += bytes;
    cpu.resize(processes.size());
    for (std::size_t i = 0; i < processes.size(); ++i)
      cpu[i] += weft::bench::cpu_seconds(processes[i].pid) - before[i];
  }
  void streams(std::uint64_t bytes, int count) {
    const auto r = ask("tputn", discard_port, bytes, count);
    if (r.size() == 1) mb_s_streams.push_back(r[0]);
  }
  void round_trips(int count) {
    const auto r = ask("rtt", echo_port, static_cast<std::uint64_t>(count));
    if (r.size() != 2) return;
    p50.push_back(r[0]);
    p99.push_back(r[1]);
  }
  void connections(int count) {
    const auto r = ask("conn", echo_port, static_cast<std::uint64_t>(count));
    if (r.size() == 1) conn_s.push_back(r[0]);
  }

  void measure_rss() {
    for (const auto& p : processes) rss[p.label] = weft::bench::rss_kib(p.pid);
  }

  // RSS each process gains while the client holds `count` idle connections.
  void idle_connections(int count) {
    std::vector<long> before;
    for (const auto& p : processes) before.push_back(weft::bench::rss_kib(p.pid));
    const auto r = ask("idle", echo_port, static_cast<std::uint64_t>(count));
    if (r.size() != 1) return;
    idle["opened"] = r[0];
    Json delta = Json::object();
    for (std::size_t i = 0; i < processes.size(); ++i)
      delta[processes[i].label] = weft::bench::rss_kib(processes[i].pid) - before[i];
    idle["rss_delta_kb"] = delta;
    ask("close", echo_port, 0);
  }

  Json to_json(const std::uint64_t bytes_per_run) const {
    Json j{{"name", name},
           {"what", what},
           {"failed", failed},
           {"mb_s", mb_s},
           {"mb_s_streams", mb_s_streams},
           {"rtt_p50_us", p50},
           {"rtt_p99_us", p99},
           {"conn_per_s", conn_s},
           {"ttfb_ms", ttfb_ms},
           {"rss_kb", rss},
           {"idle", idle}};
    Json procs = Json::array();
    Json per_gb = Json::object();
    double total = 0;
    const double gb = static_cast<double>(bytes_moved) / 1e9;
    for (std::size_t i = 0; i < processes.size(); ++i) {
      procs.push_back({{"label", processes[i].label},
                       {"pid", processes[i].pid},
                       {"side", processes[i].client_side ? "client" : "server"}});
      if (i < cpu.size() && gb > 0) {
        per_gb[processes[i].label] = cpu[i] / gb;
        total += cpu[i];
      }
    }
    j["processes"] = procs;
    j["cpu_s_per_gb"] = per_gb;
    j["cpu_s_per_gb_total"] = gb > 0 ? Json(total / gb) : Json();
    j["cores_busy"] = transfer_seconds > 0 ? Json(total / transfer_seconds) : Json();
    (void)bytes_per_run;
    return j;
  }
};

// One iperf3 run (an unmodified third-party program): a one-shot server on
// `ip`, a client sending for `seconds`; the MB/s the server received, or a
// negative number if it failed. Each side's command starts with its prefix
// (taskset, `weft run` on a daemon).
double iperf3_once(const std::vector<std::string>& server_prefix,
                   const std::vector<std::string>& client_prefix, const std::string& ip, int port,
                   int seconds) {
  constexpr const char* kIperf3 = "/usr/bin/iperf3";
  auto server_argv = server_prefix;
  server_argv.insert(server_argv.end(),
                     {kIperf3, "-s", "-1", "--forceflush", "-B", ip, "-p", std::to_string(port)});
  auto server = ChildProcess::spawn(server_argv);
  if (!server || server->expect_line("Server listening", std::chrono::seconds(30)).empty())
    return -1;
  auto client_argv = client_prefix;
  client_argv.insert(client_argv.end(), {kIperf3, "-c", ip, "-p", std::to_string(port), "-t",
                                         std::to_string(seconds), "-J"});
  auto client = ChildProcess::spawn(client_argv);
  if (!client) return -1;
  const auto out = client->read_to_end(std::chrono::seconds(seconds + 60));
  client->wait_exit();
  const auto j = Json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.contains("end")) return -1;
  return j["end"]["sum_received"].value("bits_per_second", -8.0) / 8 / 1e6;
}

// An SDK peer: authorize its node on the lab network, then let it join.
bool admit(const weft::integration::World& world, ChildProcess& peer) {
  const auto w = words(peer.expect_line("node ", std::chrono::seconds(60)));
  return w.size() == 2 && world.authorize(w[1]) && peer.write_line("go");
}

struct Ref {
  std::string name;
  std::string ns_server;
  std::string ns_client;
  std::string ip;
  std::vector<Process> extra;  // e.g. wireguard-go's processes
};

struct Options {
  std::vector<std::string> cases{"intercept", "sdk", "kernel"};
  std::vector<Ref> refs;
  int runs = 5;
  std::uint64_t bytes = std::uint64_t{256} << 20U;
  int rtt_count = 2000;
  int streams = 0;
  int connections = 0;
  int idle = 0;
  int ttfb = 0;
  std::uint64_t millis = 0;  // one-stream transfers by time instead of size
  bool pin = false;
  int iperf3 = 0;  // runs of iperf3 under weft run and over loopback
  int timeout_s = 300;
  std::string json;
};

std::vector<std::string> split(const std::string& s, char by) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, by)) out.push_back(part);
  return out;
}

constexpr const char* kIp = "/usr/sbin/ip";

// Time from start to first byte for one case: `count` fresh clients, each
// timed from its spawn to its first echoed byte. An SDK client's first start
// (a new identity, authorized here) is not counted: the others start warm.
void time_to_first_byte(const weft::integration::World& world, Case& c, int count) {
  if (!c.failed.empty() || c.first_prefix.empty()) return;
  bool warm = false;
  for (int i = 0; i < count + (c.first_is_sdk ? 1 : 0); ++i) {
    std::vector<std::string> argv = c.first_prefix;
    argv.insert(argv.end(), c.first_kind.begin(), c.first_kind.end());
    argv.insert(argv.end(), {c.ip, c.echo_port});
    const auto t0 = weft::bench::Clock::now();
    auto p = ChildProcess::spawn(argv);
    if (!p) return;
    if (c.first_is_sdk) {
      const auto w = words(p->expect_line("node ", std::chrono::seconds(60)));
      if (w.size() != 2 || (!warm && !world.authorize(w[1])) || !p->write_line("go")) {
        p->kill();
        return;
      }
    }
    const bool ok = !p->expect_line("first ", std::chrono::seconds(60)).empty();
    const double ms =
        std::chrono::duration<double, std::milli>(weft::bench::Clock::now() - t0).count();
    if (!ok) {
      p->kill();
      return;
    }
    if (c.first_is_sdk && !warm)
      warm = true;
    else
      c.ttfb_ms.push_back(ms);
  }
}

int parent(const Options& o) {
  using weft::integration::World;
  const std::string self = self_path();
  std::printf("weft-intercept-bench: %d runs of %llu bytes, %d round trips per case\n", o.runs,
              static_cast<unsigned long long>(o.bytes), o.rtt_count);
  const std::string load_start = loadavg();
  std::printf("load average at start: %s; CPUs allowed: %s; %s\n", load_start.c_str(),
              allowed_cpus().c_str(),
              o.pin ? "pinned: client side on CPU 0, server side on CPU 1" : "processes unpinned");
  std::fflush(stdout);
  World world;
  if (!world.ready()) {
    std::fprintf(stderr, "the lab (root, controller, two weftd daemons) did not come up\n");
    return 1;
  }
  const auto spawn = [](const std::vector<std::string>& argv) { return ChildProcess::spawn(argv); };
  const auto sdk_args = [&](const std::string& kind, const std::string& state) {
    return std::vector<std::string>{kind, world.dir() + "/" + state, world.root_line(),
                                    world.net()};
  };
  std::vector<std::unique_ptr<Case>> cases;
  std::vector<ChildProcess*> to_admit;
  weft::integration::Daemon tap_daemon;
  for (const auto& name : o.cases) {
    auto c = std::make_unique<Case>();
    c->name = name;
    c->timeout = std::chrono::seconds(o.timeout_s);
    const auto peer = [&](const std::string& role, std::vector<std::string> args) {
      args.insert(args.begin(), {self, "--peer", role});
      return args;
    };
    if (name == "intercept") {
      c->what = "unmodified kernel-socket programs under weft run, two weftd";
      c->server = spawn(world.a().run(peer("serve", {"kernel", world.a().ip4})));
      c->client = spawn(world.b().run(peer("client", {"kernel"})));
      c->first_prefix = world.b().run({self, "--peer", "first"});
      c->first_kind = {"kernel"};
    } else if (name == "sdk" || name == "fd") {
      c->what = name == "sdk" ? "SDK direct API, one node per process"
                              : "SDK fd mode (weft_export_fd), one node per process";
      c->server = spawn(peer("serve", sdk_args(name, name + "-server")));
      c->client = spawn(peer("client", sdk_args(name, name + "-client")));
      // fd mode starts its node as the direct API does: first byte timed once, for sdk.
      if (name == "sdk") c->first_prefix = {self, "--peer", "first"};
      c->first_kind = sdk_args(name, name + "-first");
      c->first_is_sdk = true;
      to_admit.push_back(c->server.get());
      to_admit.push_back(c->client.get());
    } else if (name == "tap") {
      c->what = "kernel TCP on a weftd --tap member <-> SDK node";
      tap_daemon = world.start("k", {"--tap", "wbtap" + std::to_string(::getpid() % 100000)});
      if (tap_daemon.ip4.empty()) {
        std::fprintf(stderr,
                     "tap: the TAP member did not come up (root and /dev/net/tun needed)\n");
        continue;
      }
      c->server = spawn(peer("serve", {"kernel", tap_daemon.ip4}));
      c->client = spawn(peer("client", sdk_args("sdk", "tap-client")));
      c->first_prefix = {self, "--peer", "first"};
      c->first_kind = sdk_args("sdk", "tap-first");
      c->first_is_sdk = true;
      to_admit.push_back(c->client.get());
    } else if (name == "kernel") {
      c->what = "kernel TCP over loopback";
      c->server = spawn(peer("serve", {"kernel", "127.0.0.1"}));
      c->client = spawn(peer("client", {"kernel"}));
      c->first_prefix = {self, "--peer", "first"};
      c->first_kind = {"kernel"};
    } else {
      std::fprintf(stderr, "unknown case %s\n", name.c_str());
      return 2;
    }
    cases.push_back(std::move(c));
  }
  for (const auto& r : o.refs) {
    auto c = std::make_unique<Case>();
    c->name = r.name;
    c->what = "kernel TCP, namespaces " + r.ns_client + " -> " + r.ns_server + " (" + r.ip + ")";
    c->timeout = std::chrono::seconds(o.timeout_s);
    c->server = spawn({kIp, "netns", "exec", r.ns_server, self, "--peer", "serve", "kernel", r.ip});
    c->client = spawn({kIp, "netns", "exec", r.ns_client, self, "--peer", "client", "kernel"});
    c->first_prefix = {kIp, "netns", "exec", r.ns_client, self, "--peer", "first"};
    c->first_kind = {"kernel"};
    c->processes = r.extra;
    cases.push_back(std::move(c));
  }

  for (auto* p : to_admit) {
    if (!admit(world, *p)) {
      std::fprintf(stderr, "an SDK peer was not admitted\n");
      return 1;
    }
  }
  for (auto& c : cases) {
    if (!c->server || !c->client || !c->serving() || !c->ready()) {
      std::fprintf(stderr, "the %s peers did not come up\n", c->name.c_str());
      return 1;
    }
    std::vector<Process> procs{{"client", c->client->pid(), true}};
    if (c->name == "intercept") procs.push_back({"weftd B", world.b().process->pid(), true});
    if (c->name == "intercept") procs.push_back({"weftd A", world.a().process->pid(), false});
    if (c->name == "tap") procs.push_back({"weftd K", tap_daemon.process->pid(), false});
    procs.push_back({"server", c->server->pid(), false});
    c->processes.insert(c->processes.begin(), procs.begin(), procs.end());
  }
  std::printf("pids:");
  for (auto& c : cases) {
    std::printf(" %s[", c->name.c_str());
    for (const auto& p : c->processes) {
      std::printf(" %s %d", p.label.c_str(), p.pid);
      if (o.pin && !pin(p.pid, p.client_side ? 0 : 1))
        std::fprintf(stderr, "could not pin %s of %s\n", p.label.c_str(), c->name.c_str());
    }
    std::printf(" ]");
  }
  std::printf("\n");
  std::fflush(stdout);

  // Warm up: ARP, the peers' paths and sessions, the daemons' bridges.
  const std::uint64_t warm = std::min<std::uint64_t>(o.bytes, std::uint64_t{16} << 20U);
  for (auto& c : cases) {
    if (o.millis > 0)
      c->ask("tputt", c->discard_port, std::min<std::uint64_t>(o.millis, 500));
    else
      c->ask("tput", c->discard_port, warm);
  }
  for (auto& c : cases) c->measure_rss();
  const auto rotated = [&](int run, std::size_t k) -> Case& {
    return *cases[(k + static_cast<std::size_t>(run)) % cases.size()];
  };
  for (int run = 0; run < o.runs; ++run) {
    for (std::size_t k = 0; k < cases.size(); ++k) rotated(run, k).transfer(o.bytes, o.millis);
    if (o.streams > 0) {
      for (std::size_t k = 0; k < cases.size(); ++k)
        rotated(run, k).streams(o.bytes / static_cast<std::uint64_t>(o.streams), o.streams);
    }
    for (std::size_t k = 0; k < cases.size(); ++k) rotated(run, k).round_trips(o.rtt_count);
    if (o.connections > 0) {
      for (std::size_t k = 0; k < cases.size(); ++k) rotated(run, k).connections(o.connections);
    }
    std::fprintf(stderr, "run %d of %d done\n", run + 1, o.runs);
  }
  if (o.ttfb > 0) {
    for (auto& c : cases) time_to_first_byte(world, *c, o.ttfb);
  }
  // iperf3, an unmodified program, through the intercept and over loopback.
  std::vector<Json> extra;
  if (o.iperf3 > 0) {
    const int port = 20000 + ::getpid() % 20000;
    const auto on = [&](int cpu) {
      return o.pin ? std::vector<std::string>{"/usr/bin/taskset", "-c", std::to_string(cpu)}
                   : std::vector<std::string>{};
    };
    const auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
      a.insert(a.end(), b.begin(), b.end());
      return a;
    };
    std::vector<double> icpt;
    std::vector<double> kern;
    std::string failed;
    for (int run = 0; run < o.iperf3 && failed.empty(); ++run) {
      const double i = iperf3_once(with(on(1), world.a().run_prefix()),
                                   with(on(0), world.b().run_prefix()), world.a().ip4, port, 2);
      const double k = iperf3_once(on(1), on(0), "127.0.0.1", port, 2);
      if (i < 0 || k < 0) failed = "iperf3 did not run or report";
      if (i >= 0) icpt.push_back(i);
      if (k >= 0) kern.push_back(k);
    }
    extra.push_back(
        {{"name", "intercept-iperf3"},
         {"what", "iperf3 -c under weft run on daemon B -> iperf3 -s under weft run on A"},
         {"failed", failed},
         {"mb_s", icpt}});
    extra.push_back({{"name", "kernel-iperf3"},
                     {"what", "iperf3 over loopback"},
                     {"failed", failed},
                     {"mb_s", kern}});
    std::printf("iperf3 MB/s: through the intercept median %.1f, over loopback median %.1f%s\n",
                stats(icpt).median, stats(kern).median, failed.empty() ? "" : " (failed)");
  }
  if (o.idle > 0) {
    for (auto& c : cases) c->idle_connections(o.idle);
  }
  const std::string load_end = loadavg();

  std::printf("\n%-10s %22s %22s %20s %20s %12s\n", "case", "MB/s median (min-max)", "streams MB/s",
              "RTT p50 us", "RTT p99 us", "conn/s");
  for (auto& c : cases) {
    const auto t = stats(c->mb_s);
    const auto s = stats(c->mb_s_streams);
    const auto a = stats(c->p50);
    const auto b = stats(c->p99);
    std::printf(
        "%-10s %8.1f (%5.1f-%6.1f) %8.1f (%5.1f-%6.1f) %6.1f (%5.1f-%5.1f) %6.1f (%5.1f-%5.1f) "
        "%12.0f%s\n",
        c->name.c_str(), t.median, t.min, t.max, s.median, s.min, s.max, a.median, a.min, a.max,
        b.median, b.min, b.max, stats(c->conn_s).median,
        c->failed.empty() ? "" : ("  FAILED: " + c->failed).c_str());
  }
  std::printf("\nCPU seconds per GB moved during the one-stream transfers (user+system):\n");
  for (auto& c : cases) {
    const double gb = static_cast<double>(c->bytes_moved) / 1e9;
    double total = 0;
    std::printf("  %-10s", c->name.c_str());
    for (std::size_t i = 0; i < c->processes.size() && i < c->cpu.size() && gb > 0; ++i) {
      std::printf(" %s %.2f,", c->processes[i].label.c_str(), c->cpu[i] / gb);
      total += c->cpu[i];
    }
    std::printf(" total %.2f; cores busy %.2f\n", gb > 0 ? total / gb : 0.0,
                c->transfer_seconds > 0 ? total / c->transfer_seconds : 0.0);
  }
  std::printf("load average at end: %s\n", load_end.c_str());
  std::fflush(stdout);

  if (!o.json.empty()) {
    Json out{{"engine", "weft-intercept-bench"},
             {"runs", o.runs},
             {"bytes", o.bytes},
             {"rtt_count", o.rtt_count},
             {"streams", o.streams},
             {"connections", o.connections},
             {"idle", o.idle},
             {"ttfb", o.ttfb},
             {"seconds", static_cast<double>(o.millis) / 1000},
             {"pinned", o.pin},
             {"cpus_allowed", allowed_cpus()},
             {"load_start", load_start},
             {"load_end", load_end}};
    Json list = Json::array();
    for (auto& c : cases) list.push_back(c->to_json(o.bytes));
    for (auto& e : extra) list.push_back(e);
    out["cases"] = list;
    std::ofstream(o.json) << out.dump(1) << "\n";
  }
  return 0;
}

int usage() {
  std::fprintf(
      stderr,
      "usage: weft-intercept-bench [--cases intercept,sdk,fd,tap,kernel] "
      "[--ref NAME:NS_SERVER:NS_CLIENT:IP[:LABEL=PID,...]]... [--runs N] [--bytes B] "
      "[--rtt-count N] [--seconds T] [--streams S] [--connections N] [--idle N] [--ttfb N] "
      "[--iperf3 N] [--pin] "
      "[--timeout SECONDS] [--json FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "--peer") {
    const std::vector<std::string> rest(argv + 3, argv + argc);
    if (std::string(argv[2]) == "serve") return peer_serve(rest);
    if (std::string(argv[2]) == "client") return peer_client(rest);
    if (std::string(argv[2]) == "first") return peer_first(rest);
    return 2;
  }
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--pin") {
      o.pin = true;
      continue;
    }
    if (i + 1 >= argc) return usage();
    const std::string value = argv[++i];
    if (flag == "--runs") {
      o.runs = std::max(1, std::stoi(value));
    } else if (flag == "--bytes") {
      o.bytes = std::max<std::uint64_t>(1, std::stoull(value));
    } else if (flag == "--rtt-count") {
      o.rtt_count = std::max(1, std::stoi(value));
    } else if (flag == "--streams") {
      o.streams = std::max(0, std::stoi(value));
    } else if (flag == "--connections") {
      o.connections = std::max(0, std::stoi(value));
    } else if (flag == "--idle") {
      o.idle = std::max(0, std::stoi(value));
    } else if (flag == "--ttfb") {
      o.ttfb = std::max(0, std::stoi(value));
    } else if (flag == "--iperf3") {
      o.iperf3 = std::max(0, std::stoi(value));
    } else if (flag == "--seconds") {
      o.millis = static_cast<std::uint64_t>(std::max(0.001, std::stod(value)) * 1000);
    } else if (flag == "--timeout") {
      o.timeout_s = std::max(1, std::stoi(value));
    } else if (flag == "--json") {
      o.json = value;
    } else if (flag == "--cases") {
      o.cases = value.empty() ? std::vector<std::string>{} : split(value, ',');
    } else if (flag == "--ref") {
      const auto f = split(value, ':');
      if (f.size() < 4 || f.size() > 5) return usage();
      Ref r{f[0], f[1], f[2], f[3], {}};
      if (f.size() == 5) {
        for (const auto& lp : split(f[4], ',')) {
          const auto eq = lp.find('=');
          if (eq == std::string::npos) return usage();
          const pid_t pid = std::stoi(lp.substr(eq + 1));
          // wireguard-go's end in the client's namespace sends; the other receives.
          r.extra.push_back({lp.substr(0, eq), pid, lp.find("client") != std::string::npos});
        }
      }
      o.refs.push_back(r);
    } else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return usage();
    }
  }
  return parent(o);
}
