// weft-node-bench: how fast a node comes online and how little it costs idle.
//
// The parent runs a root and a controller (service::RootService,
// ControllerService) on loopback with one public network; the nodes run in
// child processes (this binary again, `--child`), one node per process as the
// SDK requires, through the public C API only.
//
//   start → address: a child creates a node, starts it, joins, and waits for
//     its IPv4 address; timed from weft_node_start (warm: the state directory
//     has the identity and the network) and from weft_node_create with an
//     empty directory (cold: a new identity is made, ~16 Argon2id tries).
//   idle: two children join and exchange one TCP echo (so each has one peer
//     with a session), then sit idle; the parent reads the first child's CPU
//     time (its process CPU clock) over the idle window and its RSS
//     at the end, beside the same child's RSS before it created its node.
//
//   tcp over the overlay: this process's node (the C API's sockets) against a
//     child node serving discard (port 11) and echo (port 12): one-stream
//     throughput, 1-byte round trip p50/p99, connections per second; each beside
//     the same measurement over the kernel's TCP on 127.0.0.1 in the same run.
//
//   weft-node-bench [--runs N] [--idle-seconds S] [--bytes B] [--rtt-count N]
//                   [--connections N]
//
// Figures: see bench/README.md. Loopback only.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/child_process.hpp"
#include "process_stats.hpp"
#include "runtime/wire_endpoint.hpp"
#include "service/controller_service.hpp"
#include "service/root_service.hpp"
#include "tcp_measure.hpp"
#include "weft/weft.h"

namespace {

using weft::integration::ChildProcess;

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// ---- the child: one node through the public C API

weft_node* make_node(const std::string& state, const char* root) {
  weft_node_config c{};
  c.version = WEFT_NODE_CONFIG_VERSION;
  c.state_dir = state.c_str();
  c.roots = &root;
  c.root_count = 1;
  c.bind = "127.0.0.1:0";
  return weft_node_create(&c);
}

bool wait_v4(weft_node* n, std::uint64_t net, sockaddr_storage& ss) {
  return weft_node_wait_address(n, net, AF_INET, &ss, 20000) == 0;
}

int child(const std::string& mode, const std::string& dir, const char* root, std::uint64_t net,
          int runs) {
  if (mode == "start") {
    sockaddr_storage ss{};
    for (int i = 0; i < runs; ++i) {
      const std::string state = dir + "/cold-" + std::to_string(i);
      auto t0 = Clock::now();
      weft_node* n = make_node(state, root);
      if (n == nullptr || weft_node_join(n, net) != 0 || weft_node_start(n) != 0 || !wait_v4(n, net, ss)) {
        say(std::string("error ") + weft_last_error());
        return 1;
      }
      const double cold = ms_since(t0);
      weft_node_free(n);
      n = make_node(state, root);  // warm: identity and network in the state
      if (n == nullptr) return 1;
      t0 = Clock::now();
      if (weft_node_start(n) != 0 || !wait_v4(n, net, ss)) {
        say(std::string("error ") + weft_last_error());
        return 1;
      }
      say("start " + std::to_string(cold) + " " + std::to_string(ms_since(t0)));
      weft_node_free(n);
    }
    return 0;
  }
  if (mode == "serve") {
    weft_node* n = make_node(dir, root);
    sockaddr_storage ss{};
    if (n == nullptr || weft_node_join(n, net) != 0 || weft_node_start(n) != 0 || !wait_v4(n, net, ss)) {
      say(std::string("error ") + weft_last_error());
      return 1;
    }
    const weft::bench::Api api{true};
    if (weft::bench::serve(api, weft::bench::v4("0.0.0.0", 11), true) < 0 ||
        weft::bench::serve(api, weft::bench::v4("0.0.0.0", 12), false) < 0)
      return 1;
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, ip, sizeof ip);  // NOLINT
    say(std::string("serving ") + ip);
    std::string line;
    std::getline(std::cin, line);
    std::fflush(stdout);
    std::_Exit(0);  // server threads may still block in the stack
  }
  // idle-server / idle-client: one TCP echo between them, then nothing.
  say("rss-before " + std::to_string(weft::bench::rss_kib(::getpid())));
  weft_node* n = make_node(dir, root);
  sockaddr_storage ss{};
  if (n == nullptr || weft_node_join(n, net) != 0 || weft_node_start(n) != 0 || !wait_v4(n, net, ss)) {
    say(std::string("error ") + weft_last_error());
    return 1;
  }
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, ip, sizeof ip);  // NOLINT
  say(std::string("address ") + ip);
  std::string line;
  if (mode == "idle-server") {
    const int l = weft_socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_port = htons(7);
    weft_bind(l, reinterpret_cast<sockaddr*>(&any), sizeof any);  // NOLINT
    weft_listen(l, 4);
    say("listening");
    const int c = weft_accept(l, nullptr, nullptr);
    char buf[64];
    const ssize_t got = weft_recv(c, buf, sizeof buf, 0);
    weft_send(c, buf, static_cast<size_t>(std::max<ssize_t>(got, 0)), 0);
    say("idle");
  } else {
    std::getline(std::cin, line);  // the server's IPv4
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(7);
    inet_pton(AF_INET, line.c_str(), &to.sin_addr);
    const int c = weft_socket(AF_INET, SOCK_STREAM, 0);
    char buf[5] = "ping";
    if (weft_connect_timeout(c, reinterpret_cast<sockaddr*>(&to), sizeof to, 20000) != 0 ||  // NOLINT
        weft_send(c, buf, 4, 0) != 4 || weft_recv(c, buf, 4, 0) != 4) {
      say(std::string("error ") + std::strerror(weft_errno));
      return 1;
    }
    say("idle");
  }
  std::getline(std::cin, line);  // until the parent is done measuring
  weft_node_free(n);
  return 0;
}

// ---- the parent

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string self_path() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

struct TcpOptions {
  std::uint64_t bytes = std::uint64_t{256} << 20U;
  int rtt_count = 5000;
  int connections = 500;
};

// This process's node against a serving child node, beside kernel TCP.
int tcp_over_overlay(const std::string& dir, const std::string& root_line, const std::string& net_text,
                     std::uint64_t net, const TcpOptions& o) {
  using namespace weft::bench;
  auto server = ChildProcess::spawn({self_path(), "--child", "serve", dir + "/serve", root_line, net_text, "0"});
  if (!server) return 1;
  const std::string serving = server->read_line();
  if (serving.rfind("serving ", 0) != 0) return 1;
  weft_node* n = make_node(dir + "/client", root_line.c_str());
  sockaddr_storage ss{};
  if (n == nullptr || weft_node_join(n, net) != 0 || weft_node_start(n) != 0 || !wait_v4(n, net, ss)) {
    std::fprintf(stderr, "node: %s\n", weft_last_error());
    return 1;
  }
  const std::string ip = serving.substr(8);
  const Api weft{true};
  const Api kernel{false};
  const auto w_discard = v4(ip.c_str(), 11);
  const auto w_echo = v4(ip.c_str(), 12);
  const auto k_discard = v4("127.0.0.1", static_cast<std::uint16_t>(serve(kernel, v4("127.0.0.1", 0), true)));
  const auto k_echo = v4("127.0.0.1", static_cast<std::uint16_t>(serve(kernel, v4("127.0.0.1", 0), false)));
  (void)throughput_mb_s(weft, w_discard, std::uint64_t{16} << 20U);  // warm up: ARP, the peer's path
  const double wt = throughput_mb_s(weft, w_discard, o.bytes);
  const double kt = throughput_mb_s(kernel, k_discard, o.bytes);
  const Rtt wr = rtt(weft, w_echo, o.rtt_count);
  const Rtt kr = rtt(kernel, k_echo, o.rtt_count);
  const double wc = connection_rate(weft, w_echo, o.connections);
  const double kc = connection_rate(kernel, k_echo, o.connections);
  std::printf("TCP node to node over the encrypted overlay (%llu bytes, %d round trips, %d connections):\n",
              static_cast<unsigned long long>(o.bytes), o.rtt_count, o.connections);
  std::printf("  %-34s %10s %10s %7s\n", "measure", "weft", "kernel", "ratio");
  std::printf("  %-34s %10.1f %10.1f %7.2f\n", "throughput MB/s, one stream", wt, kt, wt / kt);
  std::printf("  %-34s %10.1f %10.1f %7.2f\n", "1-byte round trip p50 us", wr.p50_us, kr.p50_us, wr.p50_us / kr.p50_us);
  std::printf("  %-34s %10.1f %10.1f %7.2f\n", "1-byte round trip p99 us", wr.p99_us, kr.p99_us, wr.p99_us / kr.p99_us);
  std::printf("  %-34s %10.0f %10.0f %7.2f\n", "connections/s (connect+1B+close)", wc, kc, wc / kc);
  std::fflush(stdout);
  server->write_line("done");
  server.reset();
  weft_node_free(n);
  return 0;
}

int parent(int runs, int idle_seconds, const TcpOptions& tcp) {
  using namespace weft;
  char tmpl[] = "/tmp/weft-node-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  auto root = service::RootService::open(crypto::Identity::generate(), osdep::Endpoint::loopback_v4(0));
  if (!root || !(*root)->start()) return 1;
  const std::string root_line = runtime::to_string(
      node::RootEntry{(*root)->public_identity(), {*runtime::to_wire((*root)->local())}});
  service::ControllerServiceConfig cc;
  cc.state_dir = dir + "/controller";
  cc.roots = {runtime::parse_root_entry(root_line).value()};
  cc.admin_port = 0;
  auto controller = service::ControllerService::start(cc);
  if (!controller) return 1;
  controller::NetworkSettings s;
  s.name = "bench";
  s.is_private = false;  // nodes with new identities every run need no authorization
  s.ipv4_pools = {{0x0a2d'0001, 0x0a2d'fffe, 16}};
  const auto now_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                     std::chrono::system_clock::now().time_since_epoch())
                                                     .count());
  auto net = (*controller)->controller().create_network(s, now_ms);
  if (!net) return 1;
  const std::string net_text = std::to_string(net->id.value());

  std::printf("weft-node-bench: root and controller in the parent (pid %d), nodes in children\n",
              ::getpid());
  auto starter = ChildProcess::spawn({self_path(), "--child", "start", dir, root_line, net_text,
                                      std::to_string(runs)});
  if (!starter) return 1;
  std::vector<double> cold;
  std::vector<double> warm;
  for (int i = 0; i < runs; ++i) {
    std::istringstream in(starter->read_line());
    std::string word;
    double c = 0;
    double w = 0;
    if (!(in >> word >> c >> w) || word != "start") {
      std::fprintf(stderr, "child failed\n");
      return 1;
    }
    cold.push_back(c);
    warm.push_back(w);
  }
  starter.reset();
  std::printf("start -> IPv4 address, median of %d (max):\n", runs);
  std::printf("  warm state (weft_node_start -> address)           %8.1f ms (%.1f)\n", median(warm),
              *std::max_element(warm.begin(), warm.end()));
  std::printf("  cold state (weft_node_create, new identity -> address) %5.1f ms (%.1f)\n",
              median(cold), *std::max_element(cold.begin(), cold.end()));

  auto server = ChildProcess::spawn({self_path(), "--child", "idle-server", dir + "/server", root_line,
                               net_text, "0"});
  auto client = ChildProcess::spawn({self_path(), "--child", "idle-client", dir + "/client", root_line,
                               net_text, "0"});
  const long rss_before = std::stol(client->read_line().substr(11));
  (void)server->read_line();  // rss-before
  const std::string server_address = server->read_line();
  (void)client->read_line();  // its address
  (void)server->read_line();  // listening
  client->write_line(server_address.substr(8));
  if (client->read_line() != "idle" || server->read_line() != "idle") return 1;
  const double cpu0 = weft::bench::cpu_seconds(client->pid());
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
  const double cpu = weft::bench::cpu_seconds(client->pid()) - cpu0;
  const double wall = ms_since(t0) / 1000.0;
  const long rss = weft::bench::rss_kib(client->pid());
  std::printf("idle node (one network, one peer) over %.0f s:\n", wall);
  std::printf("  CPU  %.4f s = %.3f%% of a core\n", cpu, 100.0 * cpu / wall);
  std::printf("  RSS  %.1f MB (the same process before its node: %.1f MB)\n", static_cast<double>(rss) / 1024.0,
              static_cast<double>(rss_before) / 1024.0);
  client.reset();
  server.reset();
  if (tcp_over_overlay(dir, root_line, net_text, net->id.value(), tcp) != 0) return 1;
  (*controller)->stop();
  (*root)->stop();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 7 && std::string(argv[1]) == "--child")
    return child(argv[2], argv[3], argv[4], std::stoull(argv[5]), std::stoi(argv[6]));
  int runs = 10;
  int idle = 60;
  TcpOptions tcp;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--runs") runs = std::stoi(argv[i + 1]);
    else if (flag == "--idle-seconds") idle = std::stoi(argv[i + 1]);
    else if (flag == "--bytes") tcp.bytes = std::stoull(argv[i + 1]);
    else if (flag == "--rtt-count") tcp.rtt_count = std::stoi(argv[i + 1]);
    else if (flag == "--connections") tcp.connections = std::stoi(argv[i + 1]);
    else return 2;
  }
  return parent(std::max(runs, 1), std::max(idle, 1), tcp);
}
