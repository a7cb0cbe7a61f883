#include "conformance/peer_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <sstream>
#include <vector>

#include "conformance/dev_node_setup.hpp"

#ifndef CONFORMANCE_PEER_PATH
#error "CONFORMANCE_PEER_PATH must name the conformance_peer program"
#endif

namespace weft::conformance {
namespace {

constexpr int kReplyTimeoutMs = 20'000;

std::vector<std::unique_ptr<PeerProcess>>& peers() {
  static std::vector<std::unique_ptr<PeerProcess>> all;
  return all;
}

}  // namespace

PeerProcess* PeerProcess::get(const Backend& backend) {
  static std::map<std::string, PeerProcess*, std::less<>> started;
  if (auto it = started.find(backend.name); it != started.end()) return it->second;

  std::unique_ptr<PeerProcess> p(new PeerProcess);
  runtime::DevNode* node = nullptr;
  std::vector<std::string> args{std::string(backend.name)};
  if (backend.name == "weft") {
    node = open_dev_node(Side::test);
    if (node == nullptr) return nullptr;
    args.push_back(node->local().to_string());
  } else if (backend.name == "overlay") {
    // The kernel's sockets, on the TAP device's addresses.
    args = {"kernel", backend.peer_v4, backend.peer_v6};
  }
  if (!p->spawn(args)) return nullptr;
  if (node != nullptr) {
    unsigned link_port = 0;
    std::string line = p->read_line();
    if (std::sscanf(line.c_str(), "link %u", &link_port) != 1) {
      std::fprintf(stderr, "conformance peer: expected 'link PORT', got '%s'\n", line.c_str());
      return nullptr;
    }
    if (auto r = node->start(osdep::Endpoint::loopback_v4(static_cast<std::uint16_t>(link_port)));
        !r) {
      std::fprintf(stderr, "dev node start: %s\n", std::string(message(r.error())).c_str());
      return nullptr;
    }
  }
  std::string ready = p->read_line();
  std::istringstream in(ready);
  std::string word;
  in >> word;
  if (word != "ready") {
    std::fprintf(stderr, "conformance peer: expected 'ready ...', got '%s'\n", ready.c_str());
    return nullptr;
  }
  while (in >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    p->ports_[word.substr(0, eq)] = static_cast<std::uint16_t>(std::stoul(word.substr(eq + 1)));
  }
  PeerProcess* peer = p.get();
  started.emplace(std::string(backend.name), peer);
  peers().push_back(std::move(p));
  return peer;
}

void PeerProcess::stop_all() { peers().clear(); }

bool PeerProcess::spawn(const std::vector<std::string>& args) {
  int to_child[2];
  int from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0) return false;
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    return false;
  }
  std::vector<char*> argv{const_cast<char*>(CONFORMANCE_PEER_PATH)};        // NOLINT
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));  // NOLINT
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    // Dies with the test process even if that one is killed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::dup2(to_child[0], STDIN_FILENO);
    ::dup2(from_child[1], STDOUT_FILENO);
    ::execv(CONFORMANCE_PEER_PATH, argv.data());
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  pid_ = pid;
  to_peer_ = to_child[1];
  from_peer_ = from_child[0];
  return true;
}

PeerProcess::~PeerProcess() {
  if (to_peer_ >= 0) ::close(to_peer_);  // EOF on its stdin: it exits by itself
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (from_peer_ >= 0) ::close(from_peer_);
}

std::uint16_t PeerProcess::port(std::string_view service, int family) const {
  std::string key(service);
  key += family == AF_INET6 ? "6" : "4";
  auto it = ports_.find(key);
  return it == ports_.end() ? 0 : it->second;
}

void PeerProcess::write_line(const std::string& line) {
  std::string s = line + "\n";
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(to_peer_, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    off += static_cast<std::size_t>(n);
  }
}

std::string PeerProcess::read_line() {
  for (;;) {
    if (auto nl = pending_.find('\n'); nl != std::string::npos) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return line;
    }
    pollfd p{from_peer_, POLLIN, 0};
    int r = ::poll(&p, 1, kReplyTimeoutMs);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return "";
    char buf[512];
    ssize_t n = ::read(from_peer_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    pending_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string PeerProcess::command(const std::string& line) {
  write_line(line);
  return read_line();
}

}  // namespace weft::conformance
