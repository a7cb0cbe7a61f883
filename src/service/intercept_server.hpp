#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "osdep/unique_fd.hpp"
#include "socket/fd_bridge.hpp"
#include "stack/stack_driver.hpp"
#include "wire/intercept_message.hpp"

namespace weft::service {

struct InterceptServerConfig {
  std::string path;  // the AF_UNIX SOCK_SEQPACKET socket programs connect to
  // The virtual networks' prefixes now (called on the server's thread).
  std::function<std::vector<wire::VirtualPrefix>()> prefixes;
  // Resolves a host name (docs/intercept.md "Names"): `done` gets the answer,
  // on any thread, exactly once. Unset: every name is not_virtual.
  std::function<void(std::string_view name, std::function<void(wire::ResolveAnswer)> done)>
      resolve;
  std::size_t max_sockets{4096};  // virtual sockets held at once (then ENOBUFS)
  std::size_t max_requests{128};  // request connections open at once (then refused)
};

// The daemon's end of the intercept (docs/intercept.md): serves the requests of
// libweft-preload.so and hands each virtual socket to the program as one end
// of an AF_UNIX socketpair, the seed's PhySocket:
//   - a connection (TCP): a stream pair bridged to the stack socket by an
//     FdBridge (bytes with back-pressure both ways, no per-call round trip);
//   - a listener: a SEQPACKET pair on which every accepted connection arrives
//     as an AcceptNotice carrying the connection's fd (so poll/epoll on the
//     listener work unchanged, and a full pair is the accept backlog); a
//     wildcard listener the program wants on the kernel too ("both") holds the
//     program's kernel socket and passes the connections it accepts as they
//     are, kernel sockets, in the same way;
//   - a datagram socket (UDP): a SEQPACKET pair, one message per datagram with
//     its address in front (boundaries and source addresses preserved).
// A virtual socket lives as long as the program's end: when every process
// holding it has closed it, the server closes the stack socket.
//
// One thread, owned here, does all of it with non-blocking calls: epoll over
// the listening socket, request connections and pair ends, plus an eventfd the
// stack sockets' wakers post to. Only the socket's owner (same uid) may
// connect; anything malformed closes that request connection and nothing else.
class InterceptServer {
 public:
  static Result<std::unique_ptr<InterceptServer>> start(InterceptServerConfig config,
                                                        stack::StackDriver& driver);
  ~InterceptServer();  // wakes and joins the thread; closes every socket; unlinks the path
  InterceptServer(const InterceptServer&) = delete;
  InterceptServer& operator=(const InterceptServer&) = delete;

  [[nodiscard]] const std::string& path() const noexcept { return config_.path; }

  struct Stats {
    std::uint64_t requests{0};
    std::uint64_t malformed{0};          // requests or datagram headers that did not parse
    std::uint64_t peers_refused{0};      // another uid, or too many connections
    std::uint64_t datagrams_dropped{0};  // the program's pair was full, or the stack refused
  };
  [[nodiscard]] Stats stats() const noexcept;

  enum class SocketKind { bound, listener, datagram, connecting };

 private:
  struct Client;
  struct Socket;
  struct Stream;

  InterceptServer(InterceptServerConfig config, stack::StackDriver& driver, osdep::UniqueFd listen,
                  osdep::UniqueFd epoll, osdep::UniqueFd event,
                  std::unique_ptr<socket::FdBridge> bridge) noexcept;
  void run();
  void mark_ready(std::uint64_t id) noexcept;
  void accept_clients();
  void serve(Client& client);
  void handle(Client& client, const wire::InterceptRequest& request, osdep::UniqueFd passed);
  void reply(Client& client, const wire::InterceptReply& reply, int fd = -1);
  void close_client(std::uint64_t id);
  void resume_listening();  // after accept4 ran out of fds
  void on_channel(Socket& s, std::uint32_t events);
  void on_stack(Socket& s);
  void on_kernel(Socket& s);  // a wildcard listener's kernel socket is readable
  void watch_kernel(Socket& s);
  void set_channel_full(Socket& s, bool full);
  void finish_connect(Socket& s);
  // Forgets a socket (unwatched, its channel closed) and returns its stack socket.
  std::shared_ptr<stack::Socket> release_socket(std::uint64_t id);
  void close_socket(std::uint64_t id);

  void do_info(Client& c);
  void do_bind(Client& c, const wire::InterceptRequest& q, osdep::UniqueFd passed);
  void do_listen(Client& c, const wire::InterceptRequest& q, Socket* s);
  void do_connect(Client& c, const wire::InterceptRequest& q, Socket* s);
  void do_option(Client& c, const wire::InterceptRequest& q, ino_t ino);
  void do_query(Client& c, ino_t ino);
  void do_resolve(Client& c, std::string name);

  Socket* add_socket(std::unique_ptr<Socket> s);
  Socket* find(ino_t ino);
  void register_stream(ino_t ino, std::shared_ptr<stack::Socket> sock, bool ipv6);
  Result<void> watch_fd(int fd, std::uint64_t token, std::uint32_t events, bool modify = false);

  const InterceptServerConfig config_;
  stack::StackDriver& driver_;
  osdep::UniqueFd listen_;
  osdep::UniqueFd epoll_;
  osdep::UniqueFd event_;  // eventfd: stack readiness and stop
  std::unique_ptr<socket::FdBridge> bridge_;
  std::thread thread_;

  std::mutex mu_;  // guards the two below (wakers run on the stack's threads)
  std::vector<std::uint64_t> ready_;
  bool stop_{false};

  // The server thread's only.
  std::uint64_t next_id_{1};
  std::map<std::uint64_t, std::unique_ptr<Client>> clients_;
  std::map<std::uint64_t, std::unique_ptr<Socket>> sockets_;
  std::map<ino_t, std::uint64_t> socket_by_ino_;
  std::map<ino_t, Stream> streams_;  // bridged connections, for options and queries
  std::vector<std::byte> buffer_;
  bool listen_paused_{false};  // out of fds: the listening socket is not watched
  std::vector<std::uint64_t> kernel_paused_;  // wildcard listeners' kernel sockets, likewise

  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> malformed_{0};
  std::atomic<std::uint64_t> peers_refused_{0};
  std::atomic<std::uint64_t> datagrams_dropped_{0};
};

}  // namespace weft::service
