// epoll_events: one thread and one epoll set serving many connections and the
// node's events together. Connections are in fd mode (weft::Stream::export_fd:
// a kernel socket bridged to the Weft connection), the node's events come
// through its event fd; the program echoes every connection, as tcp_echo_server
// does, and prints each node event when it happens.
//
//   epoll_events --root ROOT --network NETID [--state DIR] [--bind HOST:PORT] [--port 7]
//
// Prints "node <address>", "listening <port>", "address <ip>" (once the
// network gave us one), then as things happen: "event <kind> ..." per node
// event, "connection <ip>:<port>" and "closed <ip>:<port> <bytes echoed>".

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "example_node.hpp"

namespace {

// What the accepting thread hands to the loop through a pipe (one write each:
// smaller than PIPE_BUF, so it never arrives in pieces).
struct Accepted {
  int fd;         // the connection as a kernel fd (ours to close)
  char peer[64];  // "ip:port"
};

struct Connection {
  std::string peer;
  std::string pending;  // received, not yet echoed back
  std::size_t echoed = 0;
  bool eof = false;  // the client shut down its side
};

std::string describe(const weft::Event& e) {
  static const std::map<weft::Event::Kind, const char*> names = {
      {weft::Event::Kind::root_registered, "root_registered"},
      {weft::Event::Kind::root_lost, "root_lost"},
      {weft::Event::Kind::peer_direct, "peer_direct"},
      {weft::Event::Kind::peer_relayed, "peer_relayed"},
      {weft::Event::Kind::peer_unreachable, "peer_unreachable"},
      {weft::Event::Kind::network_ready, "network_ready"},
      {weft::Event::Kind::network_denied, "network_denied"},
      {weft::Event::Kind::network_not_found, "network_not_found"},
      {weft::Event::Kind::address_assigned, "address_assigned"},
      {weft::Event::Kind::address_removed, "address_removed"},
      {weft::Event::Kind::network_left, "network_left"},
      {weft::Event::Kind::events_lost, "events_lost"}};
  char id[64];
  std::string s = "event ";
  s += names.contains(e.kind) ? names.at(e.kind) : "unknown";
  if (e.node != 0) {
    std::snprintf(id, sizeof id, " node %010llx", static_cast<unsigned long long>(e.node));
    s += id;
  }
  if (e.network != 0) {
    std::snprintf(id, sizeof id, " network %016llx", static_cast<unsigned long long>(e.network));
    s += id;
  }
  if (e.address.family() != 0) {  // an IP with its prefix, or a UDP endpoint
    s += " " + e.address.ip();
    s += e.address.port() != 0 ? ":" + std::to_string(e.address.port())
                               : "/" + std::to_string(e.prefix_len);
  }
  if (e.kind == weft::Event::Kind::events_lost) s += " lost " + std::to_string(e.lost);
  return s;
}

void watch(int epoll, int fd, std::uint32_t events, int op) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll, op, fd, &ev) != 0) {
    std::perror("epoll_ctl");
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const example::Options options =
      example::parse_options(argc, argv, {{"port", "7"}}, "[--port PORT]");
  std::error_code ec;
  weft::Node node = weft::Node::create(options.node, ec);
  if (ec) example::fail("cannot create the node", ec);
  node.start(ec);
  if (ec) example::fail("cannot start the node", ec);
  char line[32];
  std::snprintf(line, sizeof line, "node %010llx", static_cast<unsigned long long>(node.address()));
  example::say(line);
  // No waiting for the address here: the loop learns it from an event.
  node.join(options.network, ec);
  if (ec) example::fail("cannot join the network", ec);

  // Listening on any address works before the network gave us one.
  const int port = std::atoi(options.flags.at("port").c_str());
  weft::Listener listener = weft::Listener::listen(
      *weft::Address::parse("0.0.0.0", static_cast<std::uint16_t>(port)), 16, ec);
  if (ec) example::fail("cannot listen on port " + std::to_string(port), ec);
  example::say("listening " + std::to_string(port));

  // A Weft listener is not a kernel fd, so a thread accepts, turns each
  // connection into a kernel fd and passes it on; everything else is the loop's.
  int accepted[2];
  if (::pipe2(accepted, O_CLOEXEC) != 0) {
    std::perror("pipe");
    return 1;
  }
  std::thread([&listener, to_loop = accepted[1]] {
    while (true) {
      std::error_code e;
      weft::Stream stream = listener.accept(e);
      if (e) return;
      Accepted a{};
      const weft::Address peer = stream.peer_address(e);
      std::snprintf(a.peer, sizeof a.peer, "%s:%u", peer.ip().c_str(), unsigned{peer.port()});
      a.fd = stream.export_fd(e);
      if (e) continue;  // the connection was already gone
      if (::write(to_loop, &a, sizeof a) != static_cast<ssize_t>(sizeof a)) return;
    }
  }).detach();

  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  watch(epoll, node.event_fd(), EPOLLIN, EPOLL_CTL_ADD);
  watch(epoll, accepted[0], EPOLLIN, EPOLL_CTL_ADD);
  std::map<int, Connection> connections;
  bool have_address = false;

  const auto close_connection = [&](int fd) {
    const Connection& c = connections.at(fd);
    example::say("closed " + c.peer + " " + std::to_string(c.echoed));
    ::close(fd);  // also removes it from the epoll set; Weft closes the connection
    connections.erase(fd);
  };
  // Sends what is pending; while some remains, waits for room (EPOLLOUT) rather
  // than reading more, so a client that does not read cannot make us buffer without end.
  const auto flush = [&](int fd) {
    Connection& c = connections.at(fd);
    while (!c.pending.empty()) {
      const ssize_t n = ::send(fd, c.pending.data(), c.pending.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0) return close_connection(fd);
      c.pending.erase(0, static_cast<std::size_t>(n));
      c.echoed += static_cast<std::size_t>(n);
    }
    if (c.pending.empty() && c.eof) return close_connection(fd);
    watch(epoll, fd, c.pending.empty() ? EPOLLIN : EPOLLOUT, EPOLL_CTL_MOD);
  };

  epoll_event ready[32];
  while (true) {
    const int n = ::epoll_wait(epoll, ready, 32, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::perror("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == node.event_fd()) {
        // Readable while events wait: take them all without blocking.
        while (const auto e = node.next_event()) {
          example::say(describe(*e));
          if (!have_address && e->kind == weft::Event::Kind::address_assigned &&
              e->network == options.network && e->address.family() == AF_INET) {
            have_address = true;
            example::say("address " + e->address.ip());
          }
        }
      } else if (fd == accepted[0]) {
        Accepted a{};
        if (::read(fd, &a, sizeof a) != static_cast<ssize_t>(sizeof a)) return 1;
        ::fcntl(a.fd, F_SETFL, ::fcntl(a.fd, F_GETFL) | O_NONBLOCK);
        connections[a.fd].peer = a.peer;
        watch(epoll, a.fd, EPOLLIN, EPOLL_CTL_ADD);
        example::say(std::string("connection ") + a.peer);
      } else if (connections.contains(fd)) {
        Connection& c = connections.at(fd);
        if (ready[i].events & EPOLLOUT) {
          flush(fd);
          continue;
        }
        char buffer[65536];
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got < 0 && errno == EAGAIN) continue;
        if (got < 0) {  // a reset connection
          close_connection(fd);
          continue;
        }
        if (got == 0) c.eof = true;  // the client is done sending: echo the rest, then close
        c.pending.append(buffer, static_cast<std::size_t>(got));
        flush(fd);
      }
    }
  }
}
