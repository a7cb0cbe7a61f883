// weft-member: a network member over the encrypted overlay (runtime::NodeRuntime:
// a node, its networks' taps and lwIP netifs), with sockets through the public
// C API. Driven over stdin/stdout by the multi-process tests.
//
//   weft-member --state DIR --root IDENTITY@ENDPOINT
//
// Prints "member <address>", then answers commands:
//   join <network>            -> "address <network> <ipv4> <ipv6>" or "error <why>"
//   echo-server <port>        TCP echo on the port (IPv4 and IPv6); -> "listening <port>"
//   echo <ip> <port> <bytes> [connect_timeout_ms]
//                             connects, sends a pattern, reads it back
//                             -> "echoed <bytes>" or "error <why>"
// End of stdin stops the member.

#include <arpa/inet.h>
#include <fmt/core.h>

#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/node_runtime.hpp"
#include "runtime/wire_endpoint.hpp"
#include "support/pattern.hpp"
#include "weft/weft.h"

namespace {

using namespace weft;

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

std::string text_of(const vnet::Address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.ipv6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
  return buf;
}

bool parse_ip(const std::string& ip, std::uint16_t port, sockaddr_storage& ss, socklen_t& len) {
  ss = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);   // NOLINT
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);  // NOLINT
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
    return true;
  }
  return false;
}

void serve_echo(int listener) {
  while (true) {
    const int c = weft_accept(listener, nullptr, nullptr);
    if (c < 0) return;
    std::thread([c] {
      char buf[65536];
      while (true) {
        const ssize_t n = weft_recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        if (weft_send(c, buf, static_cast<std::size_t>(n), 0) != n) break;
      }
      weft_close(c);
    }).detach();
  }
}

std::string echo(const std::string& ip, std::uint16_t port, std::size_t bytes, int timeout_ms) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!parse_ip(ip, port, ss, len)) return "error bad address";
  const int fd = weft_socket(ss.ss_family, SOCK_STREAM, 0);
  if (fd < 0) return "error socket";
  if (weft_connect_timeout(fd, reinterpret_cast<sockaddr*>(&ss), len, timeout_ms) != 0) {  // NOLINT
    weft_close(fd);
    return fmt::format("error connect: {}", std::strerror(weft_errno));
  }
  std::thread writer([fd, bytes] {
    std::vector<std::byte> chunk(16384);
    for (std::size_t off = 0; off < bytes; off += chunk.size()) {
      const std::size_t n = std::min(chunk.size(), bytes - off);
      test_support::fill_pattern(std::span(chunk).first(n), off);
      if (weft_send(fd, chunk.data(), n, 0) != static_cast<ssize_t>(n)) return;
    }
  });
  std::vector<std::byte> buf(65536);
  std::vector<std::byte> want(65536);
  std::size_t got = 0;
  bool intact = true;
  while (got < bytes) {
    const ssize_t n = weft_recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    test_support::fill_pattern(std::span(want).first(static_cast<std::size_t>(n)), got);
    intact = intact && std::memcmp(buf.data(), want.data(), static_cast<std::size_t>(n)) == 0;
    got += static_cast<std::size_t>(n);
  }
  writer.join();
  weft_close(fd);
  if (got != bytes) return fmt::format("error echoed {} of {}", got, bytes);
  return intact ? fmt::format("echoed {}", got) : "error corrupted";
}

int run(int argc, char** argv) {
  runtime::NodeRuntimeConfig config;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--state") {
      config.state_dir = value;
    } else if (flag == "--root") {
      auto r = runtime::parse_root_entry(value);
      if (!r) return 2;
      config.roots.push_back(*r);
    } else {
      return 2;
    }
  }
  auto node = runtime::NodeRuntime::start(config);
  if (!node) {
    std::fprintf(stderr, "weft-member: %s\n", std::string(message(node.error())).c_str());
    return 1;
  }
  say("member " + (*node)->address().to_string());
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "join") {
      std::string net;
      in >> net;
      auto id = NetworkId::parse(net);
      if (!id) {
        say("error bad network id");
        continue;
      }
      if (auto r = (*node)->join(*id); !r) {
        say(fmt::format("error join: {}", message(r.error())));
        continue;
      }
      auto v4 = (*node)->wait_for_address(*id, false, std::chrono::seconds(20));
      auto v6 = (*node)->wait_for_address(*id, true, std::chrono::seconds(20));
      if (!v4 || !v6) {
        say(fmt::format("error address: {}", message(v4 ? v6.error() : v4.error())));
        continue;
      }
      say(fmt::format("address {} {} {}", net, text_of(*v4), text_of(*v6)));
    } else if (cmd == "echo-server") {
      int port = 0;
      in >> port;
      for (int family : {AF_INET, AF_INET6}) {
        const int fd = weft_socket(family, SOCK_STREAM, 0);
        sockaddr_storage ss{};
        socklen_t len = 0;
        parse_ip(family == AF_INET ? "0.0.0.0" : "::", static_cast<std::uint16_t>(port), ss, len);
        if (fd < 0 || weft_bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||  // NOLINT
            weft_listen(fd, 64) != 0) {
          say("error listen");
          continue;
        }
        std::thread(serve_echo, fd).detach();
      }
      say(fmt::format("listening {}", port));
    } else if (cmd == "echo") {
      std::string ip;
      int port = 0;
      std::size_t bytes = 0;
      int timeout_ms = 10000;
      in >> ip >> port >> bytes;
      in >> timeout_ms;  // optional
      say(echo(ip, static_cast<std::uint16_t>(port), bytes, timeout_ms));
    }
  }
  // Detached echo threads may still block in the stack; the process ends here.
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
