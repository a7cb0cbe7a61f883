// http_get: fetches one HTTP/1.1 URL path from a server on the Weft network
// (such as http_server) and writes the whole response, head and body as they
// came, to stdout.
//
//   http_get --root ROOT --network NETID [--state DIR] [--bind HOST:PORT]
//            --connect IP:PORT [--path /]
//
// Prints "node <address>", "address <ip>", "connected <ip>:<port>", then the
// response. The request says "Connection: close", so the response ends where
// the stream does.

#include <array>
#include <cstdio>
#include <string>

#include "example_node.hpp"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  const example::Options options = example::parse_options(
      argc, argv, {{"connect", ""}, {"path", "/"}}, "--connect IP:PORT [--path PATH]");
  const std::string& target = options.flags.at("connect");
  const weft::Address server = example::parse_endpoint(argv[0], target);
  weft::Address address;
  weft::Node node = example::start_node(options, address);

  std::error_code ec;
  weft::Stream stream = weft::Stream::connect(server, 20s, ec);
  if (ec) example::fail("cannot connect to " + target, ec);
  example::say("connected " + target);

  const std::string request = "GET " + options.flags.at("path") +
                              " HTTP/1.1\r\nHost: " + server.ip() + "\r\nConnection: close\r\n\r\n";
  const auto bytes = std::as_bytes(std::span(request.data(), request.size()));
  if (stream.send(bytes, ec) != bytes.size() || ec) example::fail("send failed", ec);

  std::array<std::byte, 65536> buffer;
  while (true) {
    const std::size_t n = stream.recv(buffer, ec);
    if (ec) example::fail("receive failed", ec);
    if (n == 0) break;  // the server closed: the response is complete
    std::fwrite(buffer.data(), 1, n, stdout);
  }
  std::fflush(stdout);
  return 0;
}
