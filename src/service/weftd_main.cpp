// weftd: the Weft daemon. By default the node service (a user's node, driven
// through the control API: docs/operations.md); `weftd --root` serves as a
// root, `weftd --controller` as a network controller on the peer layer.

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/error.hpp"
#include "base/log.hpp"
#include "osdep/endpoint.hpp"
#include "osdep/files.hpp"
#include "osdep/state_dir.hpp"
#include "runtime/identity_store.hpp"
#include "runtime/wire_endpoint.hpp"
#include "service/controller_service.hpp"
#include "service/node_service.hpp"
#include "service/root_service.hpp"
#include "service/weftd_config.hpp"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Blocks the stop signals in every thread (threads inherit the mask), so the
// main thread can wait for them with sigwait.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// --use-root entries into `out`; false (after saying which) if one does not parse.
bool parse_roots(const std::vector<std::string>& texts, std::vector<weft::node::RootEntry>& out) {
  for (const auto& text : texts) {
    auto r = weft::runtime::parse_root_entry(text);
    if (!r) {
      fmt::print(stderr, "weftd: --use-root {}: {} (expected IDENTITY@ENDPOINT)\n", text,
                 weft::message(r.error()));
      return false;
    }
    out.push_back(*r);
  }
  return true;
}

int run_root(const std::string& state, const std::string& listen) {
  auto bind = weft::osdep::Endpoint::parse(listen);
  if (!bind) {
    fmt::print(stderr, "weftd: --listen {}: not an endpoint (e.g. 127.0.0.1:9993)\n", listen);
    return kExitUsage;
  }
  auto identity = weft::runtime::IdentityStore::load_or_create(state);
  if (!identity) {
    fmt::print(stderr, "weftd: identity in {}: {}\n", state, weft::message(identity.error()));
    return kExitFailure;
  }
  const sigset_t stop = block_stop_signals();
  auto root = weft::service::RootService::open(std::move(*identity), *bind);
  if (!root) {
    fmt::print(stderr, "weftd: listen on {}: {}\n", listen, weft::message(root.error()));
    return kExitFailure;
  }
  if (auto r = (*root)->start(); !r) {
    fmt::print(stderr, "weftd: start: {}\n", weft::message(r.error()));
    return kExitFailure;
  }
  // One line a supervisor (or a test) can read: what nodes put in their roots list.
  fmt::print("root {}@{}\n", (*root)->public_identity().to_string(), (*root)->local().to_string());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  (*root)->stop();
  const auto s = (*root)->stats();
  fmt::print(
      "stats registrations_accepted={} registrations_rejected={} registrations_replayed={} "
      "lookups={} lookups_not_found={} rendezvous_sent={} relayed={} relay_rate_limited={} "
      "datagrams_dropped={} mac_rejected={} handshakes_completed={} cookie_replies_sent={}\n",
      s.root.registrations_accepted, s.root.registrations_rejected, s.root.registrations_replayed,
      s.root.lookups, s.root.lookups_not_found, s.root.rendezvous_sent, s.root.relayed,
      s.root.relay_rate_limited, s.root.datagrams_dropped, s.sessions.mac_rejected,
      s.sessions.handshakes_completed, s.sessions.cookie_replies_sent);
  std::fflush(stdout);
  return 0;
}

int run_controller(const std::string& state, const std::string& listen,
                   const std::vector<std::string>& roots, int admin_port) {
  weft::service::ControllerServiceConfig config;
  config.state_dir = state;
  config.admin_port = admin_port;
  auto bind = weft::osdep::Endpoint::parse(listen);
  if (!bind) {
    fmt::print(stderr, "weftd: --listen {}: not an endpoint (e.g. 127.0.0.1:9994)\n", listen);
    return kExitUsage;
  }
  config.bind = *bind;
  if (!parse_roots(roots, config.roots)) return kExitUsage;
  const sigset_t stop = block_stop_signals();
  auto service = weft::service::ControllerService::start(config);
  if (!service) {
    fmt::print(stderr, "weftd: controller in {}: {}\n", state, weft::message(service.error()));
    return kExitFailure;
  }
  fmt::print("controller {}@{}\nadmin-port {}\ntoken-file {}\n",
             (*service)->public_identity().to_string(), (*service)->local().to_string(),
             (*service)->admin_port(), (*service)->token_file());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  (*service)->stop();
  return 0;
}

struct NodeOptions {
  std::string state;
  std::string config_file;     // empty: <state>/weftd.json if it exists
  std::string control_socket;  // empty: <state>/control.sock
  std::vector<std::string> roots;
  std::string listen;                     // empty: the file's, else kNodeListen
  std::optional<weft::log::Level> level;  // --log-level (applied already)
};

// Any port: a node serves no one at a fixed address (its roots tell peers
// where it is, and punching finds a path), and a fixed one would collide with
// a second user's node or a root on the same host. All IPv4 interfaces, so
// peers on the LAN can reach it directly.
constexpr const char* kNodeListen = "0.0.0.0:0";

int run_node(NodeOptions o) {
  // The same lookup as the weft CLI's, so both find one directory.
  if (const char* env = std::getenv("WEFT_STATE");
      o.state.empty() && env != nullptr && *env != '\0')
    o.state = env;
  if (o.state.empty()) {
    auto dir = weft::osdep::default_state_dir();
    if (!dir) {
      fmt::print(stderr, "weftd: no state directory: pass --state DIR (or set HOME)\n");
      return kExitUsage;
    }
    o.state = *dir;
  }
  // The file: named with --config (must exist), else <state>/weftd.json if there.
  weft::service::WeftdConfig file;
  const bool named = !o.config_file.empty();
  const std::string path = named ? o.config_file : o.state + "/weftd.json";
  if (auto text = weft::osdep::read_file(path, 64 * 1024); text) {
    auto parsed = weft::service::parse_weftd_config(*text);
    if (auto* e = std::get_if<std::string>(&parsed)) {
      fmt::print(stderr, "weftd: {}: {}\n", path, *e);
      return kExitUsage;
    }
    file = std::get<weft::service::WeftdConfig>(parsed);
  } else if (named || text.error() != weft::Error::not_found) {
    const weft::Error e = text.error();
    fmt::print(stderr, "weftd: {}: {}\n", path, weft::message(e));
    return e == weft::Error::not_found || e == weft::Error::too_large ? kExitUsage : kExitFailure;
  }
  if (!o.level && file.log_level) weft::log::set_level(*file.log_level);

  weft::service::NodeServiceConfig config;
  config.state_dir = o.state;
  config.control_socket = o.control_socket;
  if (!o.listen.empty()) {
    auto bind = weft::osdep::Endpoint::parse(o.listen);
    if (!bind) {
      fmt::print(stderr, "weftd: --listen {}: not an endpoint (e.g. 0.0.0.0:0)\n", o.listen);
      return kExitUsage;
    }
    config.bind = *bind;
  } else {
    config.bind = file.listen.value_or(weft::osdep::Endpoint::parse(kNodeListen).value());
  }
  if (!o.roots.empty()) {
    if (!parse_roots(o.roots, config.roots)) return kExitUsage;
  } else if (file.roots) {
    config.roots = *file.roots;
  }
  config.tap_networks = file.tap;
  if (config.roots.empty())
    weft::log::warn("weftd",
                    "no roots configured: this node cannot find other nodes; add \"roots\" to "
                    "{}/weftd.json or pass --use-root",
                    o.state);

  const sigset_t stop = block_stop_signals();
  auto service = weft::service::NodeService::start(config);
  if (!service) {
    const weft::Error e = service.error();
    if (e == weft::Error::busy) {
      const auto pid = weft::service::NodeService::holder(o.state);
      fmt::print(stderr, "weftd: another weftd (pid {}) is using {}\n",
                 pid ? std::to_string(*pid) : std::string("?"), o.state);
    } else {
      fmt::print(stderr, "weftd: node in {}: {}\n", o.state, weft::message(e));
    }
    return kExitFailure;
  }
  auto& runtime = (*service)->runtime();
  const auto local = runtime.local();
  fmt::print("node {}@{}\ncontrol {}\nintercept {}\n",
             runtime.identity().public_identity().to_string(),
             local ? local->to_string() : std::string("-"), (*service)->control_socket(),
             (*service)->intercept_socket());
  std::fflush(stdout);
  weft::log::info("weftd", "node {} on {}, control API at {}", runtime.address().to_string(),
                  local ? local->to_string() : std::string("-"), (*service)->control_socket());

  int sig = 0;
  sigwait(&stop, &sig);
  weft::log::info("weftd", "signal {}: stopping", sig);
  (*service)->stop();
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app{
      "weftd: the Weft daemon. By default the node service: this user's node, driven with "
      "`weft status|peers|networks|join|leave` over the control socket (docs/operations.md).\n\n"
      "Exit codes: 0 ok (also after SIGTERM/SIGINT), 1 failure, 2 usage or configuration error.",
      "weftd"};
  app.set_version_flag("--version", "weftd " WEFT_VERSION);
  bool root = false;
  bool controller = false;
  std::string state;
  std::string listen;
  std::vector<std::string> roots;
  int admin_port = 9440;
  std::string config_file;
  std::string control_socket;
  std::string log_level;
  app.add_flag("--root", root, "Serve as a root: registrations, lookups, rendezvous, relay");
  app.add_flag("--controller", controller,
               "Serve as a network controller (members reach it over the peer layer; admin "
               "API on loopback)");
  app.add_option("--use-root", roots, "A root to register with: IDENTITY@ENDPOINT (repeatable)");
  app.add_option("--admin-port", admin_port, "Controller admin API port on 127.0.0.1 (0: any)")
      ->capture_default_str();
  app.add_option("--state", state,
                 "State directory (identity; created 0700 if missing). Node: default "
                 "$WEFT_STATE, else $XDG_STATE_HOME/weft, else $HOME/.local/state/weft; --root, "
                 "--controller: required");
  app.add_option("--listen", listen,
                 "UDP endpoint to serve on (node: 0.0.0.0:0; --root, --controller: 0.0.0.0:9993)");
  app.add_option("--config", config_file,
                 "Node: a JSON configuration file (default: STATE/weftd.json if present)");
  app.add_option("--control-socket", control_socket,
                 "Node: the control API's Unix socket (default: STATE/control.sock)");
  app.add_option("--log-level", log_level, "error, warn, info (default) or debug");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  std::optional<weft::log::Level> level;
  if (!log_level.empty()) {
    level = weft::log::parse_level(log_level);
    if (!level) {
      fmt::print(stderr, "weftd: --log-level {}: use error, warn, info or debug\n", log_level);
      return kExitUsage;
    }
    weft::log::set_level(*level);
  }
  if (root && controller) {
    fmt::print(stderr, "weftd: choose --root or --controller, not both\n");
    return kExitUsage;
  }
  if (!root && !controller) {
    return run_node({.state = state,
                     .config_file = config_file,
                     .control_socket = control_socket,
                     .roots = roots,
                     .listen = listen,
                     .level = level});
  }
  if (state.empty()) {
    fmt::print(stderr, "weftd: --state DIR is required with --root and --controller\n");
    return kExitUsage;
  }
  if (listen.empty()) listen = "0.0.0.0:9993";
  return root ? run_root(state, listen) : run_controller(state, listen, roots, admin_port);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weftd: %s\n", e.what());
  }
  return kExitFailure;
}
