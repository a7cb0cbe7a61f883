// http_server: a tiny HTTP/1.1 server on the Weft network. One request per
// connection (the answer says "Connection: close"), a thread per connection.
//
//   http_server --root ROOT --network NETID [--state DIR] [--bind HOST:PORT] [--port 8080]
//
//   GET /          a small HTML page
//   GET /bytes/N   N bytes (N <= 1 GiB) of the pattern "0-9a-zA-Z" repeated:
//                  byte i is kAlphabet[i % 62]
//   anything else  404 (unknown path), 405 (not GET) or 400 (not HTTP)
//
// Prints "node <address>", "address <ip>", "listening <port>", then one line
// per request: "<ip>:<port> <method> <path> <status> <body bytes>".
// Try it from another node: http_get --connect <ip>:8080 --path /bytes/100

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include "example_node.hpp"

namespace {

constexpr std::string_view kPage =
    "<!doctype html>\n<html><head><title>Weft</title></head>\n"
    "<body><h1>Hello from a Weft node</h1>\n"
    "<p>This page came over an encrypted Weft network.</p></body></html>\n";
constexpr std::string_view kAlphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::size_t kMaxHeader = 8192;
constexpr std::size_t kMaxBytes = std::size_t{1} << 30U;

bool send_all(weft::Stream& stream, std::string_view data) {
  std::error_code ec;
  const auto bytes = std::as_bytes(std::span(data.data(), data.size()));
  return stream.send(bytes, ec) == bytes.size() && !ec;
}

bool send_head(weft::Stream& stream, int status, std::string_view reason, std::string_view type,
               std::size_t length) {
  return send_all(stream, "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                              "\r\nContent-Type: " + std::string(type) + "\r\nContent-Length: " +
                              std::to_string(length) + "\r\nConnection: close\r\n\r\n");
}

// The pattern's bytes [offset, offset + n), built a chunk at a time.
void send_pattern(weft::Stream& stream, std::size_t total) {
  std::string chunk(65536, '\0');
  for (std::size_t offset = 0; offset < total; offset += chunk.size()) {
    const std::size_t n = std::min(chunk.size(), total - offset);
    for (std::size_t i = 0; i < n; ++i) chunk[i] = kAlphabet[(offset + i) % kAlphabet.size()];
    if (!send_all(stream, std::string_view(chunk).substr(0, n))) return;
  }
}

void serve(weft::Stream stream) {
  std::error_code ec;
  const weft::Address peer = stream.peer_address(ec);
  // Read the request head (up to the empty line); a GET has no body.
  std::string head;
  std::array<std::byte, 4096> buffer;
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < kMaxHeader) {
    const std::size_t n = stream.recv(buffer, ec);
    if (n == 0 || ec) return;
    head.append(reinterpret_cast<const char*>(buffer.data()), n);  // NOLINT: bytes as text
  }
  // "METHOD PATH HTTP/1.x"
  const std::string request_line = head.substr(0, head.find("\r\n"));
  const auto sp1 = request_line.find(' ');
  const auto sp2 = request_line.find(' ', sp1 == std::string::npos ? 0 : sp1 + 1);
  const std::string method = request_line.substr(0, sp1);
  const std::string path =
      sp2 == std::string::npos ? "" : request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const bool http = sp2 != std::string::npos && request_line.compare(sp2 + 1, 5, "HTTP/") == 0;

  int status = 200;
  std::size_t body = 0;
  constexpr std::string_view kBytes = "/bytes/";
  if (!http || head.find("\r\n\r\n") == std::string::npos) {
    status = 400;
    send_head(stream, status, "Bad Request", "text/plain", 0);
  } else if (method != "GET") {
    status = 405;
    send_head(stream, status, "Method Not Allowed", "text/plain", 0);
  } else if (path == "/") {
    body = kPage.size();
    if (send_head(stream, status, "OK", "text/html", body)) send_all(stream, kPage);
  } else if (path.starts_with(kBytes) && path.size() > kBytes.size() &&
             path.find_first_not_of("0123456789", kBytes.size()) == std::string::npos &&
             path.size() - kBytes.size() <= 10 &&
             std::strtoull(path.c_str() + kBytes.size(), nullptr, 10) <= kMaxBytes) {
    body = std::strtoull(path.c_str() + kBytes.size(), nullptr, 10);
    if (send_head(stream, status, "OK", "application/octet-stream", body))
      send_pattern(stream, body);
  } else {
    status = 404;
    send_head(stream, status, "Not Found", "text/plain", 0);
  }
  example::say(peer.ip() + ":" + std::to_string(peer.port()) + " " + method + " " + path + " " +
               std::to_string(status) + " " + std::to_string(body));
  // Closing after the last byte: the client reads until the end of the stream.
}

}  // namespace

int main(int argc, char** argv) {
  const example::Options options =
      example::parse_options(argc, argv, {{"port", "8080"}}, "[--port PORT]");
  weft::Address address;
  weft::Node node = example::start_node(options, address);

  const int port = std::atoi(options.flags.at("port").c_str());
  std::error_code ec;
  weft::Listener listener =
      weft::Listener::listen(address.with_port(static_cast<std::uint16_t>(port)), 16, ec);
  if (ec) example::fail("cannot listen on port " + std::to_string(port), ec);
  example::say("listening " + std::to_string(port));
  while (true) {
    weft::Stream stream = listener.accept(ec);
    if (ec) example::fail("accept failed", ec);
    std::thread(serve, std::move(stream)).detach();
  }
}
