// tcp_echo_server: sends back every byte a connection sends, for any number of
// connections at once (a thread each), over the Weft network.
//
//   tcp_echo_server --root ROOT --network NETID [--state DIR] [--bind HOST:PORT] [--port 7]
//
// Prints "node <address>", "address <ip>", "listening <port>", then a line per
// connection: "connection <ip>:<port>" and "closed <ip>:<port> <bytes echoed>".
// Runs until it is killed.

#include <array>
#include <cstdlib>
#include <string>
#include <thread>

#include "example_node.hpp"

namespace {

void echo(weft::Stream stream) {
  std::error_code ec;
  const weft::Address peer = stream.peer_address(ec);
  const std::string who = peer.ip() + ":" + std::to_string(peer.port());
  example::say("connection " + who);
  std::array<std::byte, 65536> buffer;
  std::size_t total = 0;
  while (true) {
    // Blocking calls: recv returns 0 at the end of the stream (the client shut
    // down its side), send returns once all bytes are in the send buffer.
    const std::size_t n = stream.recv(buffer, ec);
    if (n == 0 || ec) break;
    if (stream.send(std::span(buffer).first(n), ec) != n || ec) break;
    total += n;
  }
  // The Stream's destructor closes the connection (a FIN after our last byte).
  example::say("closed " + who + " " + std::to_string(total) +
               (ec ? " (" + ec.message() + ")" : ""));
}

}  // namespace

int main(int argc, char** argv) {
  const example::Options options =
      example::parse_options(argc, argv, {{"port", "7"}}, "[--port PORT]");
  weft::Address address;
  weft::Node node = example::start_node(options, address);

  // Listening on the network's address (port `--port`). 0.0.0.0 would do as
  // well: the stack has no other addresses than the networks'.
  const int port = std::atoi(options.flags.at("port").c_str());
  std::error_code ec;
  weft::Listener listener =
      weft::Listener::listen(address.with_port(static_cast<std::uint16_t>(port)), 16, ec);
  if (ec) example::fail("cannot listen on port " + std::to_string(port), ec);
  example::say("listening " + std::to_string(port));

  while (true) {
    weft::Stream stream = listener.accept(ec);
    if (ec) example::fail("accept failed", ec);
    std::thread(echo, std::move(stream)).detach();
  }
}
