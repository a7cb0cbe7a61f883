// weft-wirenode: a node's VL1 over real UDP (runtime::WireNode), driven over
// stdin/stdout by the multi-process tests.
//
//   weft-wirenode --state DIR --root IDENTITY@ENDPOINT [--root ...] [--listen EP]
//
// Prints "node <address> <endpoint>" once running, then one line per event
// ("event <kind> <peer> [endpoint]") and per frame received
// ("frame <from> <hex>"). Commands, one per line:
//   send <peer> <hex>       a frame to a peer
//   stats                   prints "stats key=value ..."
// End of stdin stops the node.

#include <fmt/core.h>

#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "base/hex.hpp"
#include "crypto/public_identity.hpp"
#include "runtime/identity_store.hpp"
#include "runtime/wire_endpoint.hpp"
#include "runtime/wire_node.hpp"

namespace {

using namespace weft;

std::mutex g_out;

template <typename... Args>
void say(fmt::format_string<Args...> f, Args&&... args) {
  std::lock_guard lock(g_out);
  fmt::print(f, std::forward<Args>(args)...);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

class Printer final : public runtime::WireNodeObserver {
 public:
  void on_frames(std::span<const runtime::PeerFrame> frames) override {
    for (const auto& f : frames) say("frame {} {}", f.from.to_string(), to_hex(f.frame));
  }
  void on_event(const node::NodeEvent& e) override {
    say("event {} {} {}", node::name(e.kind), e.peer.to_string(),
        e.endpoint ? runtime::to_osdep(*e.endpoint).to_string() : "-");
  }
};

void print_stats(const runtime::WireNode& n) {
  const auto s = n.stats();
  say("stats data_received={} data_replayed={} data_rejected={} unknown_index={} "
      "mac_rejected={} handshake_rejected={} handshakes_completed={} cookie_replies_sent={} "
      "peers_rejected={} malformed={} initiations_received={} direct_sent={} relayed_sent={} "
      "datagrams={} "
      "oversized={} send_dropped={}",
      s.sessions.data_received, s.sessions.data_replayed, s.sessions.data_rejected,
      s.sessions.unknown_index, s.sessions.mac_rejected, s.sessions.handshake_rejected,
      s.sessions.handshakes_completed, s.sessions.cookie_replies_sent, s.sessions.peers_rejected,
      s.sessions.malformed, s.sessions.initiations_received, s.node.direct_sent,
      s.node.relayed_sent, s.io.datagrams_received, s.io.oversized_dropped, s.send_dropped);
}

int run(int argc, char** argv) {
  std::string state;
  runtime::WireNodeConfig config;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--state") {
      state = value;
    } else if (flag == "--listen") {
      auto ep = osdep::Endpoint::parse(value);
      if (!ep) return 2;
      config.bind = *ep;
    } else if (flag == "--root") {
      auto r = runtime::parse_root_entry(value);
      if (!r) {
        fmt::print(stderr, "weft-wirenode: --root {}: {}\n", value, message(r.error()));
        return 2;
      }
      config.node.roots.push_back(*r);
    } else {
      return 2;
    }
  }
  auto identity = runtime::IdentityStore::load_or_create(state);
  if (!identity) {
    fmt::print(stderr, "weft-wirenode: identity: {}\n", message(identity.error()));
    return 1;
  }
  auto node = runtime::WireNode::open(std::move(*identity), std::move(config));
  if (!node) return 1;
  Printer printer;
  say("node {} {}", (*node)->address().to_string(), (*node)->local().to_string());
  if (!(*node)->start(printer)) return 1;

  // Reading commands must not wait for stdout: the I/O thread prints frames
  // while the test may still be writing commands.
  std::cin.tie(nullptr);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "send") {
      std::string peer, hex;
      in >> peer >> hex;
      auto id = NodeId::parse(peer);
      auto bytes = from_hex(hex);
      if (!id || !bytes) {
        say("error bad send");
        continue;
      }
      if (auto r = (*node)->send_frame(*id, *bytes); !r) say("error {}", message(r.error()));
    } else if (cmd == "stats") {
      print_stats(**node);
    }
  }
  (*node)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
