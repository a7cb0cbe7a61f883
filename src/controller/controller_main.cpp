// weft-controller: a network controller with its admin API and nothing else
// (no peer layer yet: config requests arrive once the node runtime exists; see
// Controller::handle_inner). Opens the store, serves the admin API on loopback,
// prints "admin-port <port>" and "controller <address>", and runs until SIGINT
// or SIGTERM.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>

#include "controller/admin_server.hpp"
#include "controller/controller.hpp"
#include "controller/store.hpp"
#include "crypto/identity.hpp"
#include "osdep/files.hpp"

namespace {

using namespace weft;  // NOLINT(google-build-using-namespace)

int fail(const std::string& message) {
  std::fprintf(stderr, "weft-controller: %s\n", message.c_str());
  return 1;
}

// An existing secret identity, or a new one written 0600.
Result<crypto::Identity> load_identity(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    auto id = crypto::Identity::generate();
    WEFT_TRY(osdep::write_file_atomic(path, id.to_secret_string() + "\n", 0600));
    return id;
  }
  auto text = osdep::read_secret_file(path);
  if (!text) return text.error();
  return crypto::Identity::parse(*text);
}


}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "weft-controller: a Weft network controller serving its admin API on loopback\n\n"
      "Exit codes: 0 ok, 1 failure, 2 usage error.",
      "weft-controller"};
  std::string db_path;
  std::string identity_path;
  std::string token_path;
  std::string bind = "127.0.0.1";
  int port = 9440;  // the CLI's default --api
  app.add_option("--db", db_path, "SQLite database file (created if absent)")->required();
  app.add_option("--identity", identity_path,
                 "The controller's secret identity file (created 0600 if absent)")
      ->required();
  app.add_option("--token-file", token_path,
                 "Admin API token file, mode 0600 (a random token is written if absent)")
      ->required();
  app.add_option("--bind", bind, "Admin API address: 127.0.0.1 or ::1");
  app.add_option("--port", port, "Admin API port (default 9440); 0 picks a free one")
      ->check(CLI::Range(0, 65535));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  // Block the stop signals before any thread starts, so every thread inherits
  // the mask and sigwait below is the only place they are received.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto identity = load_identity(identity_path);
  if (!identity)
    return fail(fmt::format("{}: {} (a secret identity file, mode 0600)", identity_path,
                            message(identity.error())));
  if (auto t = controller::AdminServer::ensure_token_file(token_path); !t)
    return fail(fmt::format("{}: {}", token_path, message(t.error())));
  auto store = controller::Store::open(db_path, {});
  if (!store)
    return fail(fmt::format(
        "{}: {}{}", db_path, message(store.error()),
        store.error() == Error::busy ? " (another process holds it; stop it or pick another --db)"
        : store.error() == Error::malformed ? " (not a controller database; move it away)"
                                            : ""));
  const NodeId address = identity->address();
  controller::Controller controller(std::move(identity).value(), std::move(store).value(), {});
  auto server = controller::AdminServer::start(controller, {bind, port, token_path, {}});
  if (!server) {
    const Error e = server.error();
    return fail(fmt::format(
        "admin API: {}{}", message(e),
        e == Error::insecure_permissions ? fmt::format(" (run `chmod 600 {}`)", token_path)
        : e == Error::invalid_argument   ? " (bind to 127.0.0.1 or ::1; tokens need 16+ characters)"
                                         : ""));
  }
  std::printf("admin-port %d\ncontroller %s\n", (*server)->port(), address.to_string().c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*server)->stop();
  return 0;
}
