// conformance_peer: the far side of the conformance tests (protocol and services:
// peer_protocol.hpp). The same code serves kernel sockets and Weft sockets,
// through the Backend table.
//
// One thread per listener and per connection, all blocking calls: the simplest
// server that cannot deadlock a test. The process is ended by its parent (stdin
// EOF, or SIGKILL by PID), so those threads are never joined: std::_Exit ends
// them with the process (lwIP cannot be shut down cleanly anyway).

#include <netinet/in.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "conformance/backend.hpp"
#include "conformance/dev_node_setup.hpp"
#include "conformance/peer_protocol.hpp"
#include "support/pattern.hpp"
#include "support/sock_addr.hpp"

namespace weft::conformance {
namespace {

using test_support::Fnv1a;
using test_support::pattern;
using test_support::SockAddr;

constexpr std::size_t kChunk = std::size_t{64} * 1024;

class Peer {
 public:
  explicit Peer(const Backend& api) : api_(api) {}

  bool start_services();
  void serve_commands();

 private:
  // What a connection delivered up to EOF or an error: its length and FNV-1a.
  struct Received {
    std::size_t count;
    std::uint64_t hash;
  };

  int open_listener(int family, int backlog, bool listen);
  void spawn(std::function<void()> f);
  void accept_loop(int listener, const std::string& service);
  void handle(int fd, const std::string& service, std::uint16_t client);
  void echo(int fd, std::uint16_t client);
  void discard(int fd, std::uint16_t client);
  void halfclose(int fd, std::uint16_t client);
  void collect(int fd);
  void abort_after_one_byte(int fd);
  void slow(int fd, std::uint16_t client);
  void udp_loop(int fd);
  bool send_all(int fd, ByteSpan data);
  Received read_to_end(int fd);
  void set_timeout(int fd, int name, int ms);

  std::string cmd_connect(const std::string& ip, std::uint16_t port, std::size_t n,
                          std::uint32_t seed);
  std::string cmd_backlog(const std::string& ip, std::uint16_t port, int count, int ms);
  std::string cmd_connectreset(const std::string& ip, std::uint16_t port);
  std::string cmd_release();
  std::string cmd_udplast();
  std::string cmd_halfclose(std::uint16_t client_port);
  std::string cmd_end(std::uint16_t client);
  std::string cmd_drain(std::uint16_t client);
  std::string cmd_slow(std::uint16_t client);
  void record_end(std::uint16_t client, std::string how);

  const Backend& api_;
  std::map<std::string, std::uint16_t> ports_;  // "echo4" -> port; set before serving
  std::vector<int> held_;                       // control thread only

  std::mutex threads_mu_;
  std::vector<std::thread> threads_;  // never joined: see the file comment

  std::mutex mu_;  // guards the three below
  std::condition_variable cv_;
  std::optional<SockAddr> udp_last_from_;
  std::size_t udp_last_len_{0};
  std::map<std::uint16_t, Received> halfclose_;  // by the client's port
  std::map<std::uint16_t, std::string> ends_;    // by the client's port
  std::set<std::uint16_t> drain_;                // slow connections told to read
  std::map<std::uint16_t, Received> slow_;       // by the client's port
};

void Peer::spawn(std::function<void()> f) {
  std::lock_guard lock(threads_mu_);
  threads_.emplace_back(std::move(f));
}

void Peer::set_timeout(int fd, int name, int ms) {
  timeval tv{ms / 1000, static_cast<suseconds_t>(ms % 1000) * 1000};
  api_.setsockopt(fd, SOL_SOCKET, name, &tv, sizeof tv);
}

int Peer::open_listener(int family, int backlog, bool listen) {
  int fd = api_.socket(family, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  auto addr = SockAddr::make(api_.peer(family), 0);
  if (api_.bind(fd, addr.get(), addr.len) != 0) return -1;
  if (listen && api_.listen(fd, backlog) != 0) return -1;
  return fd;
}

bool Peer::start_services() {
  for (int family : {AF_INET, AF_INET6}) {
    const std::string suffix = family == AF_INET ? "4" : "6";
    for (std::string_view sv : kServices) {
      std::string service(sv);
      int fd = -1;
      if (service == "udp" || service == "udpclosed") {
        fd = api_.socket(family, SOCK_DGRAM, 0);
        auto addr = SockAddr::make(api_.peer(family), 0);
        if (fd < 0 || api_.bind(fd, addr.get(), addr.len) != 0) return false;
      } else {
        fd = open_listener(family, 64, service != "refuse");
        if (fd < 0) return false;
      }
      SockAddr bound;
      if (api_.getsockname(fd, bound.get(), &bound.len) != 0) return false;
      ports_[service + suffix] = bound.port();
      if (service == "udp") {
        spawn([this, fd] { udp_loop(fd); });
      } else if (service == "udpclosed") {
        api_.close(fd);  // the port is known and nothing listens on it
      } else if (service != "refuse") {
        spawn([this, fd, service] { accept_loop(fd, service); });
      }
    }
  }
  std::string line = "ready";
  for (const auto& [name, port] : ports_) line += " " + name + "=" + std::to_string(port);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  return true;
}

void Peer::accept_loop(int listener, const std::string& service) {
  for (;;) {
    // The client's port comes from accept: a reset may already have made
    // getpeername fail by the time a handler runs.
    SockAddr from;
    int fd = api_.accept(listener, from.get(), &from.len);
    if (fd < 0) {
      int e = api_.last_error();
      if (e == EINTR || e == ECONNABORTED || e == EAGAIN || e == EMFILE || e == ENOBUFS) continue;
      std::fprintf(stderr, "conformance_peer: accept (%s): errno %d\n", service.c_str(), e);
      return;
    }
    if (service == "close") {
      api_.close(fd);
    } else if (service == "reset") {
      linger l{1, 0};
      api_.setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      api_.close(fd);
    } else if (service == "hold") {
      // Kept open and unread until the process ends.
    } else {
      const std::uint16_t client = from.port();
      spawn([this, fd, service, client] { handle(fd, service, client); });
    }
  }
}

void Peer::handle(int fd, const std::string& service, std::uint16_t client) {
  if (service == "echo") {
    echo(fd, client);
  } else if (service == "discard") {
    discard(fd, client);
  } else if (service == "halfclose") {
    halfclose(fd, client);
  } else if (service == "collect") {
    collect(fd);
  } else if (service == "abort") {
    abort_after_one_byte(fd);
  } else if (service == "slow") {
    slow(fd, client);
  }
  api_.close(fd);
}

bool Peer::send_all(int fd, ByteSpan data) {
  while (!data.empty()) {
    ssize_t n = api_.send(fd, data.data(), data.size(), 0);
    if (n < 0) {
      if (api_.last_error() == EINTR) continue;
      return false;
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

Peer::Received Peer::read_to_end(int fd) {
  Bytes buf(kChunk);
  Fnv1a hash;
  std::size_t count = 0;
  for (;;) {
    ssize_t n = api_.recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && api_.last_error() == EINTR) continue;
    if (n <= 0) break;
    count += static_cast<std::size_t>(n);
    hash.add(ByteSpan(buf).first(static_cast<std::size_t>(n)));
  }
  return {count, hash.value()};
}

void Peer::echo(int fd, std::uint16_t client) {
  Bytes buf(kChunk);
  for (;;) {
    ssize_t n = api_.recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && api_.last_error() == EINTR) continue;
    if (n <= 0) {
      record_end(client, n == 0 ? "eof" : "e" + std::to_string(api_.last_error()));
      break;
    }
    if (!send_all(fd, ByteSpan(buf).first(static_cast<std::size_t>(n)))) {
      record_end(client, "send-e" + std::to_string(api_.last_error()));
      return;
    }
  }
  api_.shutdown(fd, SHUT_WR);
}

void Peer::discard(int fd, std::uint16_t client) {
  Bytes buf(kChunk);
  for (;;) {
    ssize_t n = api_.recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && api_.last_error() == EINTR) continue;
    if (n <= 0) {
      record_end(client, n == 0 ? "eof" : "e" + std::to_string(api_.last_error()));
      return;
    }
  }
}

void Peer::record_end(std::uint16_t client, std::string how) {
  std::lock_guard lock(mu_);
  ends_[client] = std::move(how);
  cv_.notify_all();
}

std::string Peer::cmd_end(std::uint16_t client) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::seconds(5), [&] { return ends_.count(client) != 0; }))
    return "end none";
  std::string how = ends_[client];
  ends_.erase(client);
  return "end " + how;
}

void Peer::halfclose(int fd, std::uint16_t client) {
  if (!send_all(fd, pattern(kHalfCloseBytes, kHalfCloseSeed))) return;
  api_.shutdown(fd, SHUT_WR);
  set_timeout(fd, SO_RCVTIMEO, 10'000);
  const Received got = read_to_end(fd);
  std::lock_guard lock(mu_);
  halfclose_[client] = got;
  cv_.notify_all();
}

void Peer::collect(int fd) {
  Bytes all;
  Bytes buf(kChunk);
  for (;;) {
    ssize_t n = api_.recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && api_.last_error() == EINTR) continue;
    if (n < 0) return;
    if (n == 0) break;
    all.insert(all.end(), buf.begin(), buf.begin() + n);
  }
  send_all(fd, all);
}

void Peer::abort_after_one_byte(int fd) {
  std::byte b{};
  while (api_.recv(fd, &b, 1, 0) < 0 && api_.last_error() == EINTR) {
  }
  linger l{1, 0};
  api_.setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

void Peer::slow(int fd, std::uint16_t client) {
  {
    std::unique_lock lock(mu_);
    // Bounded so a test that never drains cannot keep a thread forever.
    if (!cv_.wait_for(lock, std::chrono::seconds(60), [&] { return drain_.count(client) != 0; }))
      return;
  }
  const Received got = read_to_end(fd);
  std::lock_guard lock(mu_);
  slow_[client] = got;
  cv_.notify_all();
}

std::string Peer::cmd_drain(std::uint16_t client) {
  std::lock_guard lock(mu_);
  drain_.insert(client);
  cv_.notify_all();
  return "draining";
}

std::string Peer::cmd_slow(std::uint16_t client) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return slow_.count(client) != 0; }))
    return "slow none";
  auto r = slow_[client];
  slow_.erase(client);
  return "slow " + std::to_string(r.count) + " " + std::to_string(r.hash);
}

void Peer::udp_loop(int fd) {
  Bytes buf(70'000);
  for (;;) {
    SockAddr from;
    ssize_t n = api_.recvfrom(fd, buf.data(), buf.size(), 0, from.get(), &from.len);
    if (n < 0) {
      if (api_.last_error() == EINTR) continue;
      std::fprintf(stderr, "conformance_peer: udp recvfrom: errno %d\n", api_.last_error());
      return;
    }
    {
      std::lock_guard lock(mu_);
      udp_last_from_ = from;
      udp_last_len_ = static_cast<std::size_t>(n);
    }
    api_.sendto(fd, buf.data(), static_cast<std::size_t>(n), 0, from.get(), from.len);
  }
}

std::string Peer::cmd_connect(const std::string& ip, std::uint16_t port, std::size_t n,
                              std::uint32_t seed) {
  auto to = SockAddr::make(ip, port);
  int fd = api_.socket(to.family(), SOCK_STREAM, 0);
  if (fd < 0) return "error " + std::to_string(api_.last_error());
  set_timeout(fd, SO_SNDTIMEO, 5'000);
  set_timeout(fd, SO_RCVTIMEO, 10'000);
  if (api_.connect(fd, to.get(), to.len) != 0) {
    int e = api_.last_error();
    api_.close(fd);
    return "error " + std::to_string(e);
  }
  SockAddr local;
  api_.getsockname(fd, local.get(), &local.len);
  std::printf("connected %s\n", local.to_string().c_str());
  std::fflush(stdout);
  send_all(fd, pattern(n, seed));
  const Received got = read_to_end(fd);
  api_.close(fd);
  return "done " + std::to_string(got.count) + " " + std::to_string(got.hash);
}

std::string Peer::cmd_backlog(const std::string& ip, std::uint16_t port, int count, int ms) {
  auto to = SockAddr::make(ip, port);
  std::vector<std::string> results;
  std::vector<int> fds_of;  // the socket of each result, -1 if none
  for (int i = 0; i < count; ++i) {
    int fd = api_.socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      results.push_back("e" + std::to_string(api_.last_error()));
      fds_of.push_back(-1);
      continue;
    }
    held_.push_back(fd);
    fds_of.push_back(fd);
    if (api_.connect(fd, to.get(), to.len) != 0 && api_.last_error() != EINPROGRESS) {
      int e = api_.last_error();
      results.push_back(e == ECONNREFUSED ? "refused" : "e" + std::to_string(e));
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    if (api_.poll(&p, 1, ms) == 0) {
      results.emplace_back("pending");
      continue;
    }
    int err = 0;
    socklen_t len = sizeof err;
    api_.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) {
      results.emplace_back("open");
    } else {
      results.push_back(err == ECONNREFUSED ? "refused"
                        : err == ECONNRESET ? "reset"
                                            : "e" + std::to_string(err));
    }
  }
  // A connection the listener dropped after the handshake shows as a reset or EOF.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  std::vector<bool> settled(results.size(), false);
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i] != "open" || settled[i]) continue;
      fds.push_back({fds_of[i], POLLIN, 0});
      which.push_back(i);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (fds.empty() || left.count() <= 0) break;
    if (api_.poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) break;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      std::size_t i = which[k];
      settled[i] = true;
      char c = 0;
      ssize_t r = api_.recv(fds[k].fd, &c, 1, MSG_DONTWAIT);
      if (r == 0)
        results[i] = "eof";
      else if (r < 0 && api_.last_error() == ECONNRESET)
        results[i] = "reset";
      else if (r < 0 && api_.last_error() != EAGAIN)
        results[i] = "e" + std::to_string(api_.last_error());
    }
  }
  std::string line = "backlog";
  for (const auto& r : results) line += " " + r;
  return line;
}

std::string Peer::cmd_connectreset(const std::string& ip, std::uint16_t port) {
  auto to = SockAddr::make(ip, port);
  int fd = api_.socket(to.family(), SOCK_STREAM, 0);
  if (fd < 0) return "error " + std::to_string(api_.last_error());
  set_timeout(fd, SO_SNDTIMEO, 5'000);
  if (api_.connect(fd, to.get(), to.len) != 0) {
    int e = api_.last_error();
    api_.close(fd);
    return "error " + std::to_string(e);
  }
  SockAddr local;
  api_.getsockname(fd, local.get(), &local.len);
  linger l{1, 0};
  api_.setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  api_.close(fd);
  return "reset " + local.to_string();
}

std::string Peer::cmd_release() {
  for (int fd : held_) api_.close(fd);
  held_.clear();
  return "released";
}

std::string Peer::cmd_udplast() {
  std::lock_guard lock(mu_);
  if (!udp_last_from_) return "udplast none";
  return "udplast " + udp_last_from_->to_string() + " " + std::to_string(udp_last_len_);
}

std::string Peer::cmd_halfclose(std::uint16_t client_port) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::seconds(5),
                    [&] { return halfclose_.count(client_port) != 0; }))
    return "halfclose none";
  auto r = halfclose_[client_port];
  halfclose_.erase(client_port);
  return "halfclose " + std::to_string(r.count) + " " + std::to_string(r.hash);
}

void Peer::serve_commands() {
  char buf[512];
  while (std::fgets(buf, sizeof buf, stdin) != nullptr) {
    std::istringstream in(buf);
    std::string cmd;
    in >> cmd;
    std::string reply;
    if (cmd == "connect") {
      std::string ip;
      unsigned port = 0;
      std::size_t n = 0;
      std::uint32_t seed = 0;
      in >> ip >> port >> n >> seed;
      reply = cmd_connect(ip, static_cast<std::uint16_t>(port), n, seed);
    } else if (cmd == "backlog") {
      std::string ip;
      unsigned port = 0;
      int count = 0;
      int ms = 0;
      in >> ip >> port >> count >> ms;
      reply = cmd_backlog(ip, static_cast<std::uint16_t>(port), count, ms);
    } else if (cmd == "connectreset") {
      std::string ip;
      unsigned port = 0;
      in >> ip >> port;
      reply = cmd_connectreset(ip, static_cast<std::uint16_t>(port));
    } else if (cmd == "release") {
      reply = cmd_release();
    } else if (cmd == "end") {
      unsigned port = 0;
      in >> port;
      reply = cmd_end(static_cast<std::uint16_t>(port));
    } else if (cmd == "udplast") {
      reply = cmd_udplast();
    } else if (cmd == "drain" || cmd == "slow?") {
      unsigned port = 0;
      in >> port;
      reply = cmd == "drain" ? cmd_drain(static_cast<std::uint16_t>(port))
                             : cmd_slow(static_cast<std::uint16_t>(port));
    } else if (cmd == "halfclose?") {
      unsigned port = 0;
      in >> port;
      reply = cmd_halfclose(static_cast<std::uint16_t>(port));
    } else {
      reply = "unknown " + cmd;
    }
    std::printf("%s\n", reply.c_str());
    std::fflush(stdout);
  }
}

int run(int argc, char** argv) {
  const bool kernel = argc >= 2 && std::strcmp(argv[1], "kernel") == 0;
  const bool weft = argc >= 2 && std::strcmp(argv[1], "weft") == 0;
  if (!(kernel && (argc == 2 || argc == 4)) && !(weft && argc == 3)) {
    std::fprintf(stderr, "usage: conformance_peer kernel [IP4 IP6] | weft TEST_LINK_ENDPOINT\n");
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  // Kept for the process: the services' threads use it to the end.
  static Backend api = backend_named(argv[1]);
  if (kernel && argc == 4) {
    api.peer_v4 = argv[2];
    api.peer_v6 = argv[3];
  }
  if (api.is_weft) {
    auto test_link = osdep::Endpoint::parse(argv[2]);
    if (!test_link) {
      std::fprintf(stderr, "conformance_peer: bad endpoint %s\n", argv[2]);
      return 2;
    }
    runtime::DevNode* node = open_dev_node(Side::peer);
    if (node == nullptr) return 1;
    std::printf("link %u\n", static_cast<unsigned>(node->local().port()));
    std::fflush(stdout);
    if (auto r = node->start(*test_link); !r) {
      std::fprintf(stderr, "conformance_peer: start: %s\n",
                   std::string(message(r.error())).c_str());
      return 1;
    }
  }
  // Leaked on purpose: its threads outlive every scope here.
  auto* peer = new Peer(api);
  if (!peer->start_services()) {
    std::fprintf(stderr, "conformance_peer: cannot start services: errno %d\n", api.last_error());
    return 1;
  }
  peer->serve_commands();
  return 0;
}

}  // namespace
}  // namespace weft::conformance

int main(int argc, char** argv) {
  int rc = weft::conformance::run(argc, argv);
  std::fflush(stdout);
  std::_Exit(rc);  // see the file comment: service threads are still running
}
