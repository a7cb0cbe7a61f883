#pragma once

// Two weftd node daemons on one network of a Lab (a root and a controller on
// loopback), each authorized, joined and with its addresses: where programs
// run through `weft run` (docs/intercept.md). Shared by intercept_test and
// bench/intercept_bench.cpp.
//
// The includer defines WEFT_WEFTD_PATH and WEFT_CLI_PATH (and, in a sanitizer
// build, WEFT_SANITIZER_RUNTIME) and links nlohmann_json.

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/child_process.hpp"
#include "integration/lab.hpp"

#if !defined(WEFT_WEFTD_PATH) || !defined(WEFT_CLI_PATH)
#error "define WEFT_WEFTD_PATH and WEFT_CLI_PATH for targets using intercept_world.hpp"
#endif

namespace weft::integration {

// In a sanitizer build libweft-preload.so needs the sanitizer's runtime loaded
// first into programs that were not built with it (curl, python3...).
inline std::vector<std::string> sanitizer_env() {
#ifdef WEFT_SANITIZER_RUNTIME
  return {"LD_PRELOAD=" WEFT_SANITIZER_RUNTIME, "ASAN_OPTIONS=detect_leaks=0",
          // Third-party programs are not ours to report on; weftd's threads are.
          "TSAN_OPTIONS=report_bugs=0"};
#else
  return {};
#endif
}

// The command that fetches `url` into `out` as a user would: curl, except with a
// sanitizer's runtime preloaded, where curl hangs in setlocale before it does
// anything (`LD_PRELOAD=libasan.so curl` does, without Weft) and Python's HTTP
// client fetches instead.
inline std::vector<std::string> fetch_command(const std::string& python, const std::string& url,
                                              const std::string& out) {
  if (sanitizer_env().empty())
    return {"/usr/bin/curl", "-sS", "--fail", "--noproxy", "*", "-o", out, url};
  return {python, "-c", "import sys, urllib.request as u; u.urlretrieve(sys.argv[1], sys.argv[2])",
          url, out};
}

// A short command's whole stdout and its exit code (-1 if a signal ended it).
struct CommandResult {
  int exit_code{-1};
  std::string out;
};

inline CommandResult run_command(const std::vector<std::string>& argv) {
  auto p = ChildProcess::spawn(argv);
  if (!p) return {};
  CommandResult r;
  r.out = p->read_to_end(std::chrono::seconds(60));
  if (!p->exited_within(std::chrono::seconds(1))) p->kill();  // stdout closed yet still running
  r.exit_code = p->wait_exit();
  return r;
}

// One weftd node service.
struct Daemon {
  std::unique_ptr<ChildProcess> process;
  std::string state;
  std::string address;  // the node's 10-hex-digit address
  std::string name;     // its DNS name on the lab network ("a.lab.weft")
  std::string ip4;      // on the lab network
  std::string ip6;

  [[nodiscard]] std::vector<std::string> cli(std::vector<std::string> args) const {
    std::vector<std::string> argv{WEFT_CLI_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--state", state});
    return argv;
  }

  // `weft run` on this node (the first word a full path, as ChildProcess wants).
  [[nodiscard]] std::vector<std::string> run_prefix() const {
    std::vector<std::string> p;
    const auto env = sanitizer_env();
    if (!env.empty()) {
      p.emplace_back("/usr/bin/env");
      p.insert(p.end(), env.begin(), env.end());
    }
    p.insert(p.end(), {WEFT_CLI_PATH, "run", "--state", state, "--"});
    return p;
  }
  [[nodiscard]] std::vector<std::string> run(std::vector<std::string> program) const {
    auto argv = run_prefix();
    argv.insert(argv.end(), program.begin(), program.end());
    return argv;
  }
};

// `python3 -m http.server` under `weft run` on `d`, serving `dir` on d's IPv4
// address; port is empty if it did not start.
struct HttpServer {
  std::unique_ptr<ChildProcess> process;
  std::string port;
};
inline HttpServer serve_http(const Daemon& d, const std::string& python, const std::string& dir) {
  HttpServer s;
  s.process = ChildProcess::spawn(
      d.run({python, "-u", "-m", "http.server", "0", "--bind", d.ip4, "--directory", dir}),
      ChildProcess::Ending::terminate);
  if (!s.process) return s;
  // "Serving HTTP on 10.9.0.1 port 40123 (http://10.9.0.1:40123/) ..."
  const auto w = words(s.process->expect_line("Serving HTTP on "));
  if (w.size() >= 6 && w[3] == d.ip4) s.port = w[5];
  return s;
}

// What `weft networks --json` says the daemon's addresses are (the last of each family).
inline void read_addresses(Daemon& d) {
  const auto r = run_command(d.cli({"networks", "--json"}));
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return;
  for (const auto& n : j.value("networks", nlohmann::json::array())) {
    for (const auto& a : n.value("addresses", nlohmann::json::array())) {
      const auto s = a.get<std::string>();
      const auto addr = s.substr(0, s.find('/'));
      (addr.find(':') == std::string::npos ? d.ip4 : d.ip6) = addr;
    }
  }
}

// A weftd node service on `lab`'s network `net`: started (state in the lab's
// directory under `name`), authorized, named `name` (its DNS name then
// "name.domain", or the bare name on a network without a domain), joined
// with `join_args` (e.g. {"--tap", "weftk0"}), with its IPv4 and IPv6
// addresses. A step that fails leaves ip4 empty.
inline Daemon start_member(const Lab& lab, const std::string& net, const std::string& name,
                           const std::string& domain = {},
                           const std::vector<std::string>& join_args = {}) {
  using namespace std::chrono_literals;
  Daemon d;
  d.state = lab.dir() + "/" + name;
  d.process = ChildProcess::spawn({WEFT_WEFTD_PATH, "--state", d.state, "--use-root",
                                   lab.root_line(), "--listen", "127.0.0.1:0"},
                                  ChildProcess::Ending::terminate);
  if (!d.process) return d;
  const auto node = words(d.process->expect_line("node "));
  if (node.size() != 2 || node[1].size() < 10) return d;
  d.address = node[1].substr(0, 10);
  if (d.process->expect_line("intercept ").empty()) return d;
  if (lab.cli({"member", "authorize", net, d.address}).find("authorized") == std::string::npos)
    return d;
  if (lab.cli({"member", "set", net, d.address, "--name", name}).empty()) return d;
  d.name = domain.empty() ? name : name + "." + domain;
  std::vector<std::string> join{"join", net};
  join.insert(join.end(), join_args.begin(), join_args.end());
  if (run_command(d.cli(join)).exit_code != 0) return d;
  // The controller answers within milliseconds; allow for a loaded machine. Both
  // families come in the same config.
  for (int i = 0; i < 400 && (d.ip4.empty() || d.ip6.empty()); ++i) {
    read_addresses(d);
    if (d.ip4.empty() || d.ip6.empty()) std::this_thread::sleep_for(50ms);
  }
  return d;
}

// The lab: a root, a controller, a network (10.9.0.0/24, domain lab.weft) and
// two member daemons, "a" and "b", with addresses and names.
class World {
 public:
  static constexpr std::string_view kDomain = "lab.weft";

  World() : lab_(WEFT_WEFTD_PATH, WEFT_CLI_PATH) {
    if (!lab_.ready()) return;
    net_ = lab_.cli(
        {"network", "create", "lab", "--pool", "10.9.0.0/24", "--domain", std::string(kDomain)});
    if (net_.size() != 16) return;
    a_ = start("a");
    b_ = start("b");
  }

  [[nodiscard]] bool ready() const { return !a_.ip4.empty() && !b_.ip4.empty(); }
  [[nodiscard]] const Daemon& a() const { return a_; }
  [[nodiscard]] const Daemon& b() const { return b_; }
  [[nodiscard]] const std::string& dir() const { return lab_.dir(); }
  [[nodiscard]] const std::string& net() const { return net_; }
  [[nodiscard]] const std::string& root_line() const { return lab_.root_line(); }

  // Admits a node (its 10-hex-digit address) to the lab network.
  bool authorize(const std::string& address) const {
    return lab_.cli({"member", "authorize", net_, address}).find("authorized") != std::string::npos;
  }

  // A daemon on the lab network, authorized, named, with its addresses;
  // joined with `join_args` (e.g. {"--tap", DEVICE} for a kernel member).
  Daemon start(const std::string& name, const std::vector<std::string>& join_args = {}) {
    return start_member(lab_, net_, name, std::string(kDomain), join_args);
  }

 private:
  Lab lab_;
  std::string net_;
  Daemon a_;
  Daemon b_;
};

}  // namespace weft::integration
