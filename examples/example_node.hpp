// What every C++ example does first: read the common command line, start a
// node, join the network and wait for an address on it. Start reading here.
//
//   --state DIR      where the node keeps its identity and networks (default:
//                    a new identity in memory, so a new node address each run)
//   --root ROOT      a root, "<public identity>@<host:port>" as `weftd --root`
//                    prints it (repeatable; at least one)
//   --network NETID  the network to join (16 hex digits, `weft network create`)
//   --bind HOST:PORT the node's UDP endpoint (default 0.0.0.0:0)
//
// Each example adds its own flags (--port, --connect, ...); every flag takes a
// value. Output is line by line on stdout, "node <address>" first (what an
// admin authorizes), then "address <ip>"; errors go to stderr, exit code 1.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <system_error>

#include "weft/weft.hpp"

namespace example {

// One line on stdout, flushed at once: a script waits for these lines.
inline void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// Prints what failed and why, then exits with code 1. weft::last_error_message()
// explains the latest failed weft call of this thread in more detail than the
// error code does, so call this before any other weft call.
[[noreturn]] inline void fail(const std::string& what, const std::error_code& ec) {
  std::fprintf(stderr, "%s: %s (%s)\n", what.c_str(), weft::last_error_message().c_str(),
               ec.message().c_str());
  std::exit(1);
}
[[noreturn]] inline void usage(const char* program, const std::string& problem,
                               const std::string& extra_flags) {
  std::fprintf(stderr,
               "%s: %s\nusage: %s --root ROOT --network NETID [--state DIR] "
               "[--bind HOST:PORT] %s\n",
               program, problem.c_str(), program, extra_flags.c_str());
  std::exit(1);
}

struct Options {
  weft::NodeConfig node;                     // --state, --root, --bind
  std::uint64_t network = 0;                 // --network
  std::map<std::string, std::string> flags;  // the example's own flags, defaults filled in
};

// Parses "--flag value" pairs. `defaults` names the example's own flags and
// their default values; an empty default makes the flag required.
inline Options parse_options(int argc, char** argv, std::map<std::string, std::string> defaults,
                             const std::string& extra_usage) {
  Options o;
  o.flags = std::move(defaults);
  std::map<std::string, bool> given;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(argv[0], flag + " needs a value", extra_usage);
    const std::string value = argv[i + 1];
    if (flag == "--state")
      o.node.state_dir = value;
    else if (flag == "--root")
      o.node.roots.push_back(value);
    else if (flag == "--bind")
      o.node.bind = value;
    else if (flag == "--network") {
      const auto id = weft::parse_network_id(value);
      if (!id) usage(argv[0], "--network takes 16 hex digits, not " + value, extra_usage);
      o.network = *id;
    } else if (o.flags.contains(flag.substr(2))) {
      o.flags[flag.substr(2)] = value;
      given[flag.substr(2)] = true;
    } else {
      usage(argv[0], "unknown flag " + flag, extra_usage);
    }
  }
  if (o.node.roots.empty()) usage(argv[0], "--root is required", extra_usage);
  if (o.network == 0) usage(argv[0], "--network is required", extra_usage);
  for (const auto& [name, value] : o.flags) {
    if (value.empty() && !given[name]) usage(argv[0], "--" + name + " is required", extra_usage);
  }
  return o;
}

// Waits for this node's IPv4 address on `network`. A node that is not yet
// authorized is refused (EACCES) at once; the controller pushes the network's
// config as soon as an admin authorizes it, so we wait for that event and ask again.
inline weft::Address wait_for_ipv4(weft::Node& node, const weft::Network& network) {
  using namespace std::chrono_literals;
  bool told = false;
  while (true) {
    std::error_code ec;
    const weft::Address a = network.wait_for_address(AF_INET, 20s, ec);
    if (!ec) return a;
    if (ec != std::errc::permission_denied) fail("no address on the network", ec);
    if (!told) {
      std::fprintf(stderr, "not authorized yet; run: weft member authorize %016llx %010llx\n",
                   static_cast<unsigned long long>(network.id()),
                   static_cast<unsigned long long>(node.address()));
      told = true;
    }
    // Events are taken here only while we wait; the node queues them for us.
    while (true) {
      const auto e = node.next_event(1s);
      if (e && e->kind == weft::Event::Kind::network_ready && e->network == network.id()) break;
    }
  }
}

// Creates and starts the node, prints "node <address>", joins the network and
// prints "address <ip>" once the controller gave us one. The Node must live as
// long as the program uses sockets: destroying it stops the node.
inline weft::Node start_node(const Options& o, weft::Address& address) {
  std::error_code ec;
  weft::Node node = weft::Node::create(o.node, ec);
  if (ec) fail("cannot create the node", ec);
  node.start(ec);
  if (ec) fail("cannot start the node", ec);
  char line[32];
  std::snprintf(line, sizeof line, "node %010llx", static_cast<unsigned long long>(node.address()));
  say(line);
  const weft::Network network = node.join(o.network, ec);
  if (ec) fail("cannot join the network", ec);
  address = wait_for_ipv4(node, network);
  say("address " + address.ip());
  return node;
}

// "IP:PORT" (IPv4) as an Address; exits with a usage error if it is not one.
inline weft::Address parse_endpoint(const char* program, const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon != std::string::npos) {
    const int port = std::atoi(text.c_str() + colon + 1);
    const auto a = weft::Address::parse(text.substr(0, colon), static_cast<std::uint16_t>(port));
    if (a && port > 0 && port < 65536) return *a;
  }
  usage(program, "expected IP:PORT, not " + text, "");
}

}  // namespace example
