// weftd: the Weft daemon. For now it serves as a root (`weftd --root`) or as
// a network controller on the peer layer (`weftd --controller`); the node
// service for unmodified programs comes next.

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <signal.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "osdep/endpoint.hpp"
#include "runtime/identity_store.hpp"
#include "runtime/wire_endpoint.hpp"
#include "service/controller_service.hpp"
#include "service/root_service.hpp"

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
  for (const auto& text : roots) {
    auto r = weft::runtime::parse_root_entry(text);
    if (!r) {
      fmt::print(stderr, "weftd: --use-root {}: {} (expected IDENTITY@ENDPOINT)\n", text,
                 weft::message(r.error()));
      return kExitUsage;
    }
    config.roots.push_back(*r);
  }
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

int run(int argc, char** argv) {
  CLI::App app{"weftd: the Weft daemon\n\nExit codes: 0 ok, 1 failure, 2 usage error.", "weftd"};
  app.set_version_flag("--version", "weftd " WEFT_VERSION);
  bool root = false;
  bool controller = false;
  std::string state;
  std::string listen = "0.0.0.0:9993";
  std::vector<std::string> roots;
  int admin_port = 9440;
  app.add_flag("--root", root, "Serve as a root: registrations, lookups, rendezvous, relay");
  app.add_flag("--controller", controller,
               "Serve as a network controller (members reach it over the peer layer; admin "
               "API on loopback)");
  app.add_option("--use-root", roots, "A root to register with: IDENTITY@ENDPOINT (repeatable)");
  app.add_option("--admin-port", admin_port, "Controller admin API port on 127.0.0.1 (0: any)")
      ->capture_default_str();
  app.add_option("--state", state, "State directory (identity; created 0700 if missing)")
      ->required();
  app.add_option("--listen", listen, "UDP endpoint to serve on")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (root == controller) {
    fmt::print(stderr, "weftd: choose --root or --controller (the node service comes later)\n");
    return kExitUsage;
  }
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
