#include "cli/node_commands.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/control_client.hpp"
#include "cli/json_output.hpp"

namespace weft::cli {

namespace {

using nlohmann::json;

std::string text(const json& j, const char* key, const char* absent = "-") {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string(absent);
}

std::uint64_t count(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

std::string duration(std::int64_t s) {
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}d{:02}h{:02}m", s / 86400, s / 3600 % 24, s / 60 % 60);
}

std::string bytes(std::uint64_t n) {
  if (n < 10'000) return fmt::format("{} B", n);
  if (n < 10'000'000) return fmt::format("{} KiB", n / 1024);
  if (n < 10'000'000'000) return fmt::format("{} MiB", n >> 20);
  return fmt::format("{} GiB", n >> 30);
}

void print_status(const json& s) {
  const bool online = s.value("online", false);
  std::printf("address   %s\n", text(s, "address").c_str());
  std::printf("identity  %s\n", text(s, "identity").c_str());
  std::printf("endpoint  %s (UDP)\n", text(s, "endpoint").c_str());
  std::printf("running   %s\n", s.value("running", false) ? "yes" : "no");
  std::printf("online    %s\n", online ? "yes (a root acknowledged this node)"
                                       : "no (no root has acknowledged this node yet)");
  std::printf("networks  %llu joined\n", static_cast<unsigned long long>(count(s, "networks")));
  std::printf("uptime    %s\n", duration(s.value("uptime_s", std::int64_t{0})).c_str());
}

void print_peers(const json& reply) {
  std::printf("%-10s  %-4s  %-7s  %-40s  %9s  %10s  %10s\n", "ADDRESS", "ROLE", "PATH", "ENDPOINT",
              "LATENCY", "IN", "OUT");
  for (const auto& p : reply.value("peers", json::array())) {
    const auto latency = p.find("latency_ms");
    const std::string lat = latency != p.end() && latency->is_number()
                                ? fmt::format("{:.1f} ms", latency->get<double>())
                                : "-";
    std::printf("%-10s  %-4s  %-7s  %-40s  %9s  %10s  %10s\n", text(p, "address").c_str(),
                text(p, "role").c_str(), text(p, "path").c_str(), text(p, "endpoint").c_str(),
                lat.c_str(), bytes(count(p, "bytes_in")).c_str(),
                bytes(count(p, "bytes_out")).c_str());
  }
}

void print_networks(const json& reply) {
  std::printf("%-16s  %-10s  %-10s  %s\n", "NETWORK", "STATE", "DEVICE", "ADDRESSES");
  for (const auto& n : reply.value("networks", json::array())) {
    std::string addresses;
    for (const auto& a : n.value("addresses", json::array()))
      if (a.is_string()) addresses += (addresses.empty() ? "" : " ") + a.get<std::string>();
    std::printf("%-16s  %-10s  %-10s  %s\n", text(n, "id").c_str(), text(n, "state").c_str(),
                text(n, "tap", "(weftd)").c_str(), addresses.empty() ? "-" : addresses.c_str());
  }
}

// Every command takes --state, --socket and --json. The environment
// (WEFT_STATE) is read in ControlClient, not through CLI11's envname (see
// network_commands.cpp for why).
void add_common(CLI::App* cmd, ControlOptions& o) {
  cmd->add_option("--state", o.state,
                  "weftd's state directory: its control socket is DIR/control.sock (env "
                  "WEFT_STATE; default $XDG_STATE_HOME/weft, else $HOME/.local/state/weft)");
  cmd->add_option("--socket", o.socket, "The control socket itself (wins over --state)");
  cmd->add_flag("--json", o.json, "Print the daemon's JSON reply");
}

}  // namespace

void add_node_commands(CLI::App& app) {
  struct Options {
    ControlOptions control;
    std::string network;
    std::string tap;
  };
  auto o = std::make_shared<Options>();

  auto* status = app.add_subcommand("status", "Show the local node: address, endpoint, online");
  add_common(status, o->control);
  status->callback([o] {
    const json s = ControlClient(o->control).call({{"cmd", "status"}});
    if (o->control.json) return print_json(s);
    print_status(s);
  });

  auto* peers = app.add_subcommand("peers", "List the roots and peers the local node knows");
  add_common(peers, o->control);
  peers->callback([o] {
    const json reply = ControlClient(o->control).call({{"cmd", "peers"}});
    if (o->control.json) return print_json(reply);
    print_peers(reply);
  });

  auto* networks = app.add_subcommand("networks", "List the networks the local node has joined");
  add_common(networks, o->control);
  networks->callback([o] {
    const json reply = ControlClient(o->control).call({{"cmd", "networks"}});
    if (o->control.json) return print_json(reply);
    print_networks(reply);
  });

  auto* join = app.add_subcommand(
      "join", "Join a network (kept across restarts); its controller must authorize this node");
  join->add_option("network", o->network, "Network id (16 hex digits)")->required();
  auto* tap = join->add_option(
      "--tap", o->tap,
      "Make the Linux kernel the member, through a TAP device of this name (default weft%d: "
      "the kernel numbers it), instead of weftd's own stack; weftd needs root or CAP_NET_ADMIN");
  tap->expected(0, 1);
  add_common(join, o->control);
  join->callback([o, tap] {
    json request{{"cmd", "join"}, {"network", o->network}};
    if (tap->count() > 0) request["tap"] = o->tap;
    const json reply = ControlClient(o->control).call(request);
    if (o->control.json) return print_json(reply);
    const std::string device = text(reply, "tap", "");
    std::printf("joined %s%s; `weft networks` shows when its controller answers\n",
                o->network.c_str(), device.empty() ? "" : (" on TAP device " + device).c_str());
  });

  auto* leave = app.add_subcommand("leave", "Leave a network");
  leave->add_option("network", o->network, "Network id (16 hex digits)")->required();
  add_common(leave, o->control);
  leave->callback([o] {
    const json reply = ControlClient(o->control).call({{"cmd", "leave"}, {"network", o->network}});
    if (o->control.json) return print_json(reply);
    std::printf("left %s\n", o->network.c_str());
  });
}

}  // namespace weft::cli
