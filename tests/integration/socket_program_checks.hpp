#pragma once

// The checks run with the socket programs of tests/programs/: a server program
// and each client program against it, the clients all at once, and a refused
// connect. They take ProgramRunners, so the same checks run on kernel loopback
// (socket_programs_test) and, with a launcher prefix and virtual addresses,
// through the intercept. Failures are reported with GoogleTest's EXPECT/ADD_FAILURE.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "integration/child_process.hpp"
#include "integration/program_runner.hpp"

namespace weft::integration {

// A server program, and what it serves.
struct ServerKind {
  std::string name;  // for test names and messages
  std::string program;
  std::vector<std::string> mode;  // arguments before HOST PORT
  bool udp{false};                // also echoes UDP
  std::string done_prefix;        // its last line when it stops
};

inline const std::vector<ServerKind>& server_kinds() {
  static const std::vector<ServerKind> kinds = {
      {"echo_server", "echo_server", {}, true, "echo_server done "},
      {"py_selectors", "py_sockets.py", {"server"}, false, "py server done "},
      {"py_asyncio", "py_sockets.py", {"asyncio-server"}, false, "py asyncio-server done "},
  };
  return kinds;
}

// A client program, and the lines (prefixes, in this order) it prints when
// every check passed; it exits 0 then.
struct ClientCase {
  std::string name;
  std::string program;
  std::vector<std::string> mode;  // arguments before HOST PORT
  bool udp{false};                // needs the server's UDP echo
  std::vector<std::string> lines;
};

inline const std::vector<ClientCase>& client_cases() {
  static const std::vector<ClientCase> cases = {
      {"fork_client",
       "fork_client",
       {},
       false,
       {"parent before-fork ok", "child inherited ok", "child new-socket ok",
        "parent after-child ok", "fork_client ok"}},
      {"exec_client",
       "exec_client",
       {},
       false,
       {"exec child connect ok", "exec connect ok", "exec child fd ok", "exec inherited-fd ok",
        "exec_client ok"}},
      {"epoll_connect",
       "epoll_connect",
       {},
       false,
       {"connect ok returned=", "epoll echo ok bytes=1048576", "epoll_connect ok"}},
      {"poll_select",
       "poll_select",
       {},
       false,
       {"names ok", "sockopts ok", "fcntl nonblock ok", "poll echo ok", "select echo ok", "dup ok",
        "poll_select ok"}},
      {"udp_client",
       "udp_client",
       {},
       true,
       {"sendto ok size=1", "sendto ok size=100", "sendto ok size=1400", "sendto ok size=8000",
        "sendmsg ok count=4", "connected ok count=4", "udp_client ok"}},
      {"py_selectors_client",
       "py_sockets.py",
       {"client"},
       false,
       {"conn ", "conn ", "conn ", "conn ", "py client ok conns=4"}},
      {"py_asyncio_client",
       "py_sockets.py",
       {"asyncio-client"},
       false,
       {"conn ", "conn ", "conn ", "conn ", "py asyncio-client ok conns=4"}},
  };
  return cases;
}

inline std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += "  " + l + "\n";
  return s;
}

// Each of `want` starts a line of `lines`, in this order (other lines may come between).
inline ::testing::AssertionResult has_lines_in_order(const std::vector<std::string>& lines,
                                                     const std::vector<std::string>& want) {
  std::size_t at = 0;
  for (const auto& w : want) {
    while (at < lines.size() && !lines[at].starts_with(w)) ++at;
    if (at == lines.size()) {
      return ::testing::AssertionFailure() << "no line starting '" << w << "' (in order) in:\n"
                                           << joined(lines);
    }
    ++at;
  }
  return ::testing::AssertionSuccess();
}

// A running server program and the port it printed in "listening HOST PORT".
class ProgramServer {
 public:
  static std::unique_ptr<ProgramServer> start(const ProgramRunner& runner, const ServerKind& kind,
                                              const std::string& port = "0") {
    auto args = kind.mode;
    args.push_back(runner.host);
    args.push_back(port);
    auto p = runner.spawn(kind.program, args, ChildProcess::Ending::terminate);
    if (!p) return nullptr;
    const auto w = words(p->expect_line("listening "));
    if (w.size() != 3 || w[1] != runner.host || w[2].empty() || w[2] == "0") return nullptr;
    auto s = std::unique_ptr<ProgramServer>(new ProgramServer);
    s->kind_ = kind;
    s->process_ = std::move(p);
    s->port_ = w[2];
    return s;
  }

  [[nodiscard]] const std::string& port() const noexcept { return port_; }

  // Ends it the gentle way (EOF on its stdin) and checks it exits 0 with its done line.
  void stop_and_check() {
    process_->close_stdin();
    const ProgramRun r = finish(*process_);
    EXPECT_EQ(r.exit_code, 0) << kind_.name << " printed:\n" << joined(r.lines);
    EXPECT_TRUE(has_lines_in_order(r.lines, {kind_.done_prefix}));
  }

 private:
  ProgramServer() = default;
  ServerKind kind_;
  std::unique_ptr<ChildProcess> process_;
  std::string port_;
};

inline std::vector<std::string> client_args(const ClientCase& c, const ProgramRunner& client,
                                            const std::string& port) {
  auto args = c.mode;
  args.push_back(client.host);
  args.push_back(port);
  return args;
}

inline void expect_client_ok(const ClientCase& c, const ProgramRun& r) {
  EXPECT_EQ(r.exit_code, 0) << c.name << " printed:\n" << joined(r.lines);
  EXPECT_TRUE(has_lines_in_order(r.lines, c.lines)) << c.name;
}

// Every client the server can serve, one after another, against one server.
inline void check_clients_in_turn(const ProgramRunner& server, const ProgramRunner& client,
                                  const ServerKind& kind) {
  auto s = ProgramServer::start(server, kind);
  ASSERT_TRUE(s) << kind.name << " did not print 'listening " << server.host << " PORT'";
  for (const auto& c : client_cases()) {
    if (c.udp && !kind.udp) continue;
    SCOPED_TRACE(c.name + " against " + kind.name);
    expect_client_ok(c, client.run(c.program, client_args(c, client, s->port())));
  }
  s->stop_and_check();
}

// Every client the server can serve, all started before any is waited for.
inline void check_clients_at_once(const ProgramRunner& server, const ProgramRunner& client,
                                  const ServerKind& kind) {
  auto s = ProgramServer::start(server, kind);
  ASSERT_TRUE(s) << kind.name << " did not print 'listening " << server.host << " PORT'";
  std::vector<std::pair<const ClientCase*, std::unique_ptr<ChildProcess>>> running;
  for (const auto& c : client_cases()) {
    if (c.udp && !kind.udp) continue;
    running.emplace_back(&c, client.spawn(c.program, client_args(c, client, s->port())));
    ASSERT_TRUE(running.back().second) << "could not start " << c.name;
  }
  for (auto& [c, p] : running) {
    SCOPED_TRACE(c->name + " at once against " + kind.name);
    expect_client_ok(*c, finish(*p));
  }
  s->stop_and_check();
}

// A non-blocking connect to HOST `port`, where nothing listens, ends refused.
inline void check_refused(const ProgramRunner& client, const std::string& port) {
  const ProgramRun r = client.run("epoll_connect", {"--refused", client.host, port});
  EXPECT_EQ(r.exit_code, 0) << "epoll_connect --refused printed:\n" << joined(r.lines);
  EXPECT_TRUE(has_lines_in_order(r.lines, {"refused ok", "epoll_connect ok"}));
}

}  // namespace weft::integration
