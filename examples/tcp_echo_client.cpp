// tcp_echo_client: a netcat for the Weft network. Connects to IP:PORT, sends
// its stdin there and writes what comes back to stdout; at the end of stdin it
// shuts down its sending side and exits once the server has closed too.
//
//   tcp_echo_client --root ROOT --network NETID [--state DIR] [--bind HOST:PORT] --connect IP:PORT
//
// Prints "node <address>", "address <ip>", "connected <ip>:<port>", then the
// bytes received, unchanged (with tcp_echo_server: exactly stdin).

#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <thread>

#include "example_node.hpp"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  const example::Options options =
      example::parse_options(argc, argv, {{"connect", ""}}, "--connect IP:PORT");
  const weft::Address server = example::parse_endpoint(argv[0], options.flags.at("connect"));
  weft::Address address;
  weft::Node node = example::start_node(options, address);

  std::error_code ec;
  weft::Stream stream = weft::Stream::connect(server, 20s, ec);
  if (ec) example::fail("cannot connect to " + options.flags.at("connect"), ec);
  example::say("connected " + options.flags.at("connect"));

  // Receiving on a thread of its own, so that a server sending back while we
  // still send never waits on us (both sides' buffers are bounded).
  std::string receive_error;  // weft::last_error_message() is per thread: keep it here
  std::thread receiver([&] {
    std::array<std::byte, 65536> buffer;
    std::error_code e;
    while (true) {
      const std::size_t n = stream.recv(buffer, e);
      if (e) receive_error = weft::last_error_message() + " (" + e.message() + ")";
      if (n == 0 || e) return;  // 0: the server closed
      if (std::fwrite(buffer.data(), 1, n, stdout) != n) return;
      std::fflush(stdout);
    }
  });

  std::array<std::byte, 65536> buffer;
  while (true) {
    const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    if (n <= 0) break;
    const auto chunk = std::span(buffer).first(static_cast<std::size_t>(n));
    if (stream.send(chunk, ec) != chunk.size() || ec) example::fail("send failed", ec);
  }
  stream.shutdown_write(ec);  // the server sees the end of the stream
  if (ec) example::fail("shutdown failed", ec);
  receiver.join();
  if (!receive_error.empty()) {
    std::fprintf(stderr, "receive failed: %s\n", receive_error.c_str());
    return 1;
  }
  return 0;
}
