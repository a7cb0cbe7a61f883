#include "cli/network_commands.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli/admin_client.hpp"
#include "cli/json_output.hpp"

namespace weft::cli {

namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string{};
}

void print_network(const json& n) {
  std::string pools;
  for (const auto& p : n.value("ipv4_pools", json::array()))
    pools += (pools.empty() ? "" : ",") + p.get<std::string>();
  std::printf("%s  %-20s  %-7s  members %lld (+%lld pending)  %s\n", str(n, "id").c_str(),
              str(n, "name").c_str(), n.value("private", true) ? "private" : "public",
              n.value("authorized_members", 0LL), n.value("pending_members", 0LL),
              pools.empty() ? "no IPv4 pool" : pools.c_str());
}

void print_member(const json& m) {
  std::string ipv4;
  for (const auto& a : m.value("ipv4", json::array()))
    ipv4 += (ipv4.empty() ? "" : ",") + a.get<std::string>();
  std::printf("%s  %-12s  %-8s  %-18s  %s  %s\n", str(m, "node").c_str(),
              m.value("authorized", false) ? "authorized" : "unauthorized",
              m.value("online", false) ? "online" : "offline", ipv4.empty() ? "-" : ipv4.c_str(),
              str(m, "ipv6").c_str(),
              str(m, "dns_name").empty() ? str(m, "name").c_str() : str(m, "dns_name").c_str());
}

// Shared options: every command takes --api, --token-file and --json. The
// environment is read in AdminClient, not through CLI11's envname: the options
// of every subcommand share one variable, and CLI11 would apply the variable
// for subcommands that did not run, over what the command line said.
void add_common(CLI::App* cmd, AdminOptions& o) {
  cmd->add_option("--api", o.api,
                  fmt::format("Admin API URL (env WEFT_API; default {})", kDefaultApi));
  cmd->add_option("--token-file", o.token_file,
                  "The controller's admin token file, mode 0600 (env WEFT_TOKEN_FILE)");
  cmd->add_flag("--json", o.json, "Print the controller's JSON reply");
}

}  // namespace

void add_network_commands(CLI::App& app) {
  struct Options {
    AdminOptions admin;
    std::string network;
    std::string node;
    std::string name;
    bool is_public = false;
    int mtu = 0;
    std::string domain;
    std::vector<std::string> pools;
    std::vector<std::string> routes;
    std::vector<std::string> ipv4;
    bool clear_ipv4 = false;
    bool name_set = false;
  };
  auto o = std::make_shared<Options>();
  const auto path = [o] { return "/v1/networks/" + o->network; };
  const auto member_path = [o] { return "/v1/networks/" + o->network + "/members/" + o->node; };

  auto* network = app.add_subcommand("network", "Create, list and delete networks on a controller");
  network->require_subcommand(1);

  auto* create = network->add_subcommand("create", "Create a network; prints its id");
  create->add_option("name", o->name, "The network's name (UTF-8, up to 64 bytes)")->required();
  create->add_flag("--public", o->is_public, "Admit anyone who asks (default: private)");
  create->add_option("--mtu", o->mtu, "MTU of the virtual link (1280-9000; default 2800)");
  create->add_option("--domain", o->domain, "DNS domain; members get NAME.DOMAIN");
  create->add_option("--pool", o->pools, "IPv4 pool: 10.1.0.0/24 or 10.1.0.10-10.1.0.99/24");
  create->add_option("--route", o->routes,
                     "Managed route: TARGET/PREFIX[@VIA], e.g. 10.2.0.0/16@10.1.0.1");
  add_common(create, o->admin);
  create->callback([o] {
    json body{{"name", o->name}, {"private", !o->is_public}};
    if (o->mtu != 0) body["mtu"] = o->mtu;
    if (!o->domain.empty()) body["dns_domain"] = o->domain;
    if (!o->pools.empty()) body["ipv4_pools"] = o->pools;
    if (!o->routes.empty()) {
      body["routes"] = json::array();
      for (const auto& r : o->routes) {
        const auto at = r.find('@');
        json route{{"target", r.substr(0, at)}};
        if (at != std::string::npos) route["via"] = r.substr(at + 1);
        body["routes"].push_back(route);
      }
    }
    const json n = AdminClient(o->admin).post("/v1/networks", body);
    if (o->admin.json) return print_json(n);
    std::printf("%s\n", str(n, "id").c_str());
  });

  auto* list = network->add_subcommand("list", "List the controller's networks");
  add_common(list, o->admin);
  list->callback([o] {
    const json reply = AdminClient(o->admin).get("/v1/networks");
    if (o->admin.json) return print_json(reply);
    for (const auto& n : reply.value("networks", json::array())) print_network(n);
  });

  auto* remove = network->add_subcommand("delete", "Delete a network and all its members");
  remove->add_option("network", o->network, "Network id (16 hex digits)")->required();
  add_common(remove, o->admin);
  remove->callback([o, path] {
    const json reply = AdminClient(o->admin).del(path());
    if (o->admin.json) return print_json(reply);
    std::printf("deleted %s\n", o->network.c_str());
  });

  auto* member = app.add_subcommand("member", "List, authorize and configure network members");
  member->require_subcommand(1);

  auto* mlist = member->add_subcommand("list", "List a network's members");
  mlist->add_option("network", o->network, "Network id (16 hex digits)")->required();
  add_common(mlist, o->admin);
  mlist->callback([o, path] {
    const json reply = AdminClient(o->admin).get(path() + "/members");
    if (o->admin.json) return print_json(reply);
    for (const auto& m : reply.value("members", json::array())) print_member(m);
  });

  for (const char* verb : {"authorize", "deauthorize"}) {
    auto* cmd = member->add_subcommand(
        verb, std::string(verb) == "authorize"
                  ? "Authorize a member (by address, even before it asks)"
                  : "Deauthorize a member: revokes its credentials and tells online members");
    cmd->add_option("network", o->network, "Network id (16 hex digits)")->required();
    cmd->add_option("node", o->node, "Member address (10 hex digits)")->required();
    add_common(cmd, o->admin);
    cmd->callback([o, member_path, v = std::string(verb)] {
      const json m = AdminClient(o->admin).post(member_path() + "/" + v, json::object());
      if (o->admin.json) return print_json(m);
      print_member(m);
    });
  }

  auto* set = member->add_subcommand("set", "Set a member's name and IPv4 addresses");
  set->add_option("network", o->network, "Network id (16 hex digits)")->required();
  set->add_option("node", o->node, "Member address (10 hex digits)")->required();
  set->add_option("--name", o->name, "DNS label (letters, digits, '-'); empty clears")
      ->each([o](const std::string&) { o->name_set = true; });
  set->add_option("--ipv4", o->ipv4, "An IPv4 address (10.1.0.7 or 10.1.0.7/24); repeat for more");
  set->add_flag("--clear-ipv4", o->clear_ipv4, "Remove all of the member's IPv4 addresses");
  add_common(set, o->admin);
  set->callback([o, member_path] {
    json body = json::object();
    if (o->name_set) body["name"] = o->name;
    if (!o->ipv4.empty()) body["ipv4"] = o->ipv4;
    if (o->clear_ipv4) body["ipv4"] = json::array();
    if (body.empty()) {
      std::fprintf(stderr, "weft: nothing to set; pass --name, --ipv4 or --clear-ipv4\n");
      throw CLI::RuntimeError(2);
    }
    const json m = AdminClient(o->admin).patch(member_path(), body);
    if (o->admin.json) return print_json(m);
    print_member(m);
  });
}

}  // namespace weft::cli
