// A C++ user of the installed weft.hpp: one dev-link stack in this process, then a
// TCP echo and a UDP datagram between its own sockets through the RAII classes.
// Exit 0 when all checks pass.
#include <cstdio>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>
#include <weft/weft.hpp>

namespace {

int failures = 0;

void check(bool ok, const char* what, const std::error_code& ec = {}) {
  if (ok) {
    std::printf("ok: %s\n", what);
    return;
  }
  std::fprintf(stderr, "FAIL %s (%s)\n", what, ec.message().c_str());
  ++failures;
}

std::vector<std::byte> bytes(std::string_view s) {
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

}  // namespace

int main() {
  weft_dev_config config{"02:00:00:00:7c:02", nullptr,       0, "fd7c::2",
                         "127.0.0.1:0",       "127.0.0.1:9", 0};
  check(weft_dev_start(&config) == 0, "dev start on loopback");

  std::error_code ec;
  auto listener = weft::Listener::listen(*weft::Address::parse("fd7c::2", 0), 4, ec);
  check(!ec && listener.valid(), "listen on the node's IPv6 address", ec);
  const auto at = listener.local_address(ec);
  check(!ec && at.family() == AF_INET6 && at.port() != 0, "local address has a port", ec);

  // The server echoes until end of stream, on its own thread.
  std::thread server([&listener] {
    std::error_code sec;
    weft::Stream s = listener.accept(sec);
    std::vector<std::byte> buf(256);
    while (!sec) {
      const std::size_t n = s.recv(buf, sec);
      if (sec || n == 0) break;
      s.send(std::span(buf).first(n), sec);
    }
  });
  const auto to = weft::Address::parse("fd7c::2", at.port());
  weft::Stream client = weft::Stream::connect(*to, std::chrono::seconds(10), ec);
  check(!ec && client.valid(), "connect", ec);
  const auto message = bytes("echo me through the C++ API");
  check(client.send(message, ec) == message.size() && !ec, "send", ec);
  client.shutdown_write(ec);
  std::vector<std::byte> echoed(256);
  std::size_t got = 0;
  for (;;) {
    const std::size_t n = client.recv(std::span(echoed).subspan(got), ec);
    if (ec || n == 0) break;
    got += n;
  }
  server.join();
  check(!ec && got == message.size() && std::memcmp(echoed.data(), message.data(), got) == 0,
        "the echo comes back byte for byte", ec);

  auto a = weft::Datagram::bind(*weft::Address::parse("fd7c::2", 0), ec);
  auto b = weft::Datagram::bind(*weft::Address::parse("fd7c::2", 0), ec);
  check(!ec && a.valid() && b.valid(), "two UDP sockets", ec);
  const auto datagram = bytes("datagram");
  check(a.send_to(datagram, b.local_address(ec), ec) == datagram.size(), "send_to", ec);
  std::vector<std::byte> in(64);
  weft::Address from;
  const std::size_t n = b.recv_from(in, from, ec);
  check(!ec && n == datagram.size() && std::memcmp(in.data(), datagram.data(), n) == 0 &&
            from.port() == a.local_address(ec).port(),
        "recv_from returns the datagram and its sender", ec);

  auto refused =
      weft::Stream::connect(*weft::Address::parse("fd7c::2", 1), std::chrono::seconds(10), ec);
  check(ec == std::errc::connection_refused && !refused.valid(),
        "connect to a closed port is refused");

  std::printf("%s\n", failures == 0 ? "consumer.cpp: all checks passed" : "consumer.cpp: FAILED");
  return failures == 0 ? 0 : 1;
}
