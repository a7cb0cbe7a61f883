// weft-member: a network member built on the public SDK only (weft.hpp:
// weft::Node for the node, weft_* sockets for traffic), driven over
// stdin/stdout by the multi-process tests.
//
//   weft-member --state DIR --root IDENTITY@ENDPOINT [--bind HOST:PORT]
//               [--faults seed=1,loss=0.02,duplicate=0.01,reorder=0.02,corrupt=0.001,
//                         delay_us=0,jitter_us=0]   (weft_node_set_faults; any subset)
//
// Prints "member <address>", then answers commands:
//   join <network>            -> "address <network> <ipv4> <ipv6>" or "error <why>"
//   wait-address <network>    the same without joining (a restarted member rejoins by itself)
//   leave <network>           -> "left <network>" or "error <why>"
//   echo-server <port>        TCP echo on the port (IPv4 and IPv6); -> "listening <port>"
//   echo <ip> <port> <bytes> [connect_timeout_ms]
//                             connects, sends a pattern, reads it back
//                             -> "echoed <bytes>" or "error <why>"; from 64 MiB on,
//                             "progress <bytes>" first, once 1 MiB has come back
//   udp-echo-server <port>    UDP echo (IPv4); -> "udp-listening <port>"
//   udp-echo <ip> <port> <count> <size>
//                             sends count datagrams of size bytes one at a time, each
//                             answered before the next -> "udp-echoed <count>" or "error <why>"
//   events                    -> "events <kind> <kind> ..." (what the node reported so far)
//   stats                     -> "stats batches <n> in-app-threads <m>" (receive batches,
//                             and those an application thread received itself)
//   stop / start              stops and starts the node in the same process
//                             -> "stopped" / "started"
// End of stdin stops the member.

#include <fmt/core.h>

#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/pattern.hpp"
#include "weft/weft.hpp"

namespace {

using namespace std::chrono_literals;

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

std::string why(const std::error_code& ec) {
  return fmt::format("{} ({})", weft::last_error_message(), ec.message());
}

void serve_echo(weft::Listener listener) {
  while (true) {
    std::error_code ec;
    weft::Stream c = listener.accept(ec);
    if (ec) return;
    std::thread([c = std::move(c)]() mutable {
      std::vector<std::byte> buf(65536);
      std::error_code e;
      while (true) {
        const std::size_t n = c.recv(buf, e);
        if (n == 0 || e) break;
        if (c.send(std::span(buf).first(n), e) != n || e) break;
      }
    }).detach();
  }
}

void serve_udp_echo(weft::Datagram socket) {
  std::vector<std::byte> buf(65536);
  while (true) {
    std::error_code ec;
    weft::Address from;
    const std::size_t n = socket.recv_from(buf, from, ec);
    if (ec) return;
    (void)socket.send_to(std::span(buf).first(n), from, ec);
  }
}

// A long echo says once that it is under way (a test may then disturb it).
constexpr std::size_t kProgressFrom = std::size_t{64} << 20U;
constexpr std::size_t kProgressAt = std::size_t{1} << 20U;

std::string echo(const std::string& ip, std::uint16_t port, std::size_t bytes, int timeout_ms) {
  const auto to = weft::Address::parse(ip, port);
  if (!to) return "error bad address";
  std::error_code ec;
  weft::Stream s = weft::Stream::connect(*to, std::chrono::milliseconds(timeout_ms), ec);
  if (ec) return fmt::format("error connect: {}", ec.message());
  // A peer that goes away silently (deauthorized, killed) ends the echo with
  // an error within this, instead of a receive that never returns.
  const timeval stall{.tv_sec = 30, .tv_usec = 0};
  (void)weft_setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &stall, sizeof stall);
  std::thread writer([&s, bytes] {
    std::vector<std::byte> chunk(65536);
    std::error_code e;
    for (std::size_t off = 0; off < bytes; off += chunk.size()) {
      const std::size_t n = std::min(chunk.size(), bytes - off);
      weft::test_support::fill_pattern(std::span(chunk).first(n), off);
      if (s.send(std::span(chunk).first(n), e) != n || e) return;
    }
  });
  std::vector<std::byte> buf(65536);
  std::vector<std::byte> want(65536);
  std::size_t got = 0;
  bool intact = true;
  while (got < bytes) {
    const std::size_t n = s.recv(buf, ec);
    if (n == 0 || ec) break;
    weft::test_support::fill_pattern(std::span(want).first(n), got);
    intact = intact && std::memcmp(buf.data(), want.data(), n) == 0;
    if (bytes >= kProgressFrom && got < kProgressAt && got + n >= kProgressAt)
      say(fmt::format("progress {}", got + n));
    got += n;
  }
  const std::error_code failed = ec;
  s.close();  // wakes the writer if the peer went away
  writer.join();
  if (got != bytes)
    return fmt::format("error echoed {} of {}{}", got, bytes,
                       failed ? ": " + failed.message() : std::string());
  return intact ? fmt::format("echoed {}", got) : "error corrupted";
}

std::string udp_echo(const std::string& ip, std::uint16_t port, int count, std::size_t size) {
  const auto to = weft::Address::parse(ip, port);
  if (!to) return "error bad address";
  std::error_code ec;
  weft::Datagram s = weft::Datagram::bind(*weft::Address::parse("0.0.0.0", 0), ec);
  if (ec) return fmt::format("error bind: {}", ec.message());
  timeval tv{.tv_sec = 0, .tv_usec = 500000};
  (void)weft_setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<std::byte> out(size);
  std::vector<std::byte> in(size + 1);
  std::vector<std::byte> earlier(size);
  // A late answer to an earlier datagram's resend is not an error; anything else that differs is.
  const auto stale = [&](int i, std::size_t n) {
    for (int j = 0; j < i && n == size; ++j) {
      weft::test_support::fill_pattern(earlier, static_cast<std::size_t>(j) * size);
      if (std::memcmp(in.data(), earlier.data(), size) == 0) return true;
    }
    return false;
  };
  for (int i = 0; i < count; ++i) {
    weft::test_support::fill_pattern(out, static_cast<std::size_t>(i) * size);
    bool answered = false;
    // Lost datagrams are UDP's right (ARP, the first handshake): resend a few times.
    for (int attempt = 0; attempt < 20 && !answered; ++attempt) {
      if (s.send_to(out, *to, ec) != size) return fmt::format("error send: {}", ec.message());
      while (!answered) {
        weft::Address from;
        const std::size_t n = s.recv_from(in, from, ec);
        if (ec) break;  // timed out: send again
        if (n == size && std::memcmp(in.data(), out.data(), size) == 0) {
          answered = true;
        } else if (!stale(i, n)) {
          return fmt::format("error datagram {} came back as {} different bytes", i, n);
        }
      }
    }
    if (!answered) return fmt::format("error datagram {} never answered", i);
  }
  return fmt::format("udp-echoed {}", count);
}

std::string kind_name(weft::Event::Kind k) {
  using K = weft::Event::Kind;
  switch (k) {
    case K::root_registered: return "root_registered";
    case K::root_lost: return "root_lost";
    case K::peer_direct: return "peer_direct";
    case K::peer_relayed: return "peer_relayed";
    case K::peer_unreachable: return "peer_unreachable";
    case K::network_ready: return "network_ready";
    case K::network_denied: return "network_denied";
    case K::network_not_found: return "network_not_found";
    case K::address_assigned: return "address_assigned";
    case K::address_removed: return "address_removed";
    case K::network_left: return "network_left";
    case K::events_lost: return "events_lost";
  }
  return "unknown";
}

std::string wait_address(weft::Node& node, const std::string& net, std::uint64_t id) {
  std::error_code ec;
  const auto network = node.network(id);
  const weft::Address v4 = network.wait_for_address(AF_INET, 20s, ec);
  if (ec) return "error address: " + weft::last_error_message();
  const weft::Address v6 = network.wait_for_address(AF_INET6, 20s, ec);
  if (ec) return "error address: " + weft::last_error_message();
  return fmt::format("address {} {} {}", net, v4.ip(), v6.ip());
}

// "loss=0.02,seed=7": the fields of weft_fault_config; false for anything else.
bool parse_faults(const std::string& spec, weft_fault_config& f) {
  f = {};
  std::istringstream in(spec);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = item.substr(0, eq);
    const std::string value = item.substr(eq + 1);
    try {
      if (key == "seed") f.seed = std::stoull(value);
      else if (key == "loss") f.loss = std::stod(value);
      else if (key == "duplicate") f.duplicate = std::stod(value);
      else if (key == "reorder") f.reorder = std::stod(value);
      else if (key == "corrupt") f.corrupt = std::stod(value);
      else if (key == "delay_us") f.delay_us = static_cast<unsigned>(std::stoul(value));
      else if (key == "jitter_us") f.jitter_us = static_cast<unsigned>(std::stoul(value));
      else return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  return true;
}

int run(int argc, char** argv) {
  weft::NodeConfig config;
  config.bind = "127.0.0.1:0";
  std::optional<weft_fault_config> faults;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--state") {
      config.state_dir = value;
    } else if (flag == "--root") {
      config.roots.push_back(value);
    } else if (flag == "--bind") {
      config.bind = value;
    } else if (flag == "--faults") {
      weft_fault_config f{};
      if (!parse_faults(value, f)) return 2;
      faults = f;
    } else {
      return 2;
    }
  }
  std::error_code ec;
  weft::Node node = weft::Node::create(config, ec);
  if (!ec && faults && weft_node_set_faults(node.handle(), &*faults) != 0) ec = weft::detail::last_error();
  if (!ec) node.start(ec);
  if (ec) {
    std::fprintf(stderr, "weft-member: %s\n", why(ec).c_str());
    return 1;
  }
  say(fmt::format("member {:010x}", node.address()));
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "join" || cmd == "wait-address" || cmd == "leave") {
      std::string net;
      in >> net;
      const auto id = weft::parse_network_id(net);
      if (!id) {
        say("error bad network id");
        continue;
      }
      if (cmd == "leave") {
        node.network(*id).leave(ec);
        say(ec ? "error leave: " + why(ec) : "left " + net);
        continue;
      }
      if (cmd == "join") node.join(*id, ec);
      say(ec ? "error join: " + why(ec) : wait_address(node, net, *id));
    } else if (cmd == "echo-server") {
      int port = 0;
      in >> port;
      // One dual-stack listener serves both families.
      auto l = weft::Listener::listen(*weft::Address::parse("::", static_cast<std::uint16_t>(port)),
                                      64, ec);
      if (ec) {
        say("error listen: " + ec.message());
        continue;
      }
      std::thread(serve_echo, std::move(l)).detach();
      say(fmt::format("listening {}", port));
    } else if (cmd == "udp-echo-server") {
      int port = 0;
      in >> port;
      auto d = weft::Datagram::bind(*weft::Address::parse("0.0.0.0", static_cast<std::uint16_t>(port)), ec);
      if (ec) {
        say("error bind: " + ec.message());
        continue;
      }
      std::thread(serve_udp_echo, std::move(d)).detach();
      say(fmt::format("udp-listening {}", port));
    } else if (cmd == "echo") {
      std::string ip;
      int port = 0;
      std::size_t bytes = 0;
      int timeout_ms = 10000;
      in >> ip >> port >> bytes;
      in >> timeout_ms;  // optional
      say(echo(ip, static_cast<std::uint16_t>(port), bytes, timeout_ms));
    } else if (cmd == "udp-echo") {
      std::string ip;
      int port = 0;
      int count = 0;
      std::size_t size = 0;
      in >> ip >> port >> count >> size;
      say(udp_echo(ip, static_cast<std::uint16_t>(port), count, size));
    } else if (cmd == "stats") {
      weft_node_stats st{};
      if (weft_node_get_stats(node.handle(), &st, sizeof st) != 0) {
        say("error stats");
        continue;
      }
      say(fmt::format("stats batches {} in-app-threads {}", st.receive_batches,
                      st.receive_batches_in_app_threads));
    } else if (cmd == "events") {
      std::string out = "events";
      while (const auto e = node.next_event()) out += " " + kind_name(e->kind);
      say(out);
    } else if (cmd == "stop") {
      node.stop();
      say("stopped");
    } else if (cmd == "start") {
      node.start(ec);
      say(ec ? "error start: " + why(ec) : "started");
    }
  }
  // Detached echo threads may still block in the stack; the process ends here.
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
