#pragma once

// The test side of conformance_peer (peer_protocol.hpp): starts the peer process
// for a backend (for Weft, first this process's dev node, since the two links
// must know each other's port), sends commands and reads replies, and ends the
// peer by PID.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/backend.hpp"

namespace weft::conformance {

class PeerProcess {
 public:
  // The peer for `backend` (for the overlay backend: kernel sockets on its
  // peer addresses), started on first use and kept for the process (each
  // CTest case is its own process, so in practice one peer per case). nullptr if
  // it could not be started (the reason on stderr).
  static PeerProcess* get(const Backend& backend);
  // Ends every peer started by get() (a test environment calls this at exit).
  static void stop_all();

  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;
  ~PeerProcess();

  // The port of a service ("echo", "udp", ...; peer_protocol.hpp) for a family;
  // 0 if the peer did not announce it.
  [[nodiscard]] std::uint16_t port(std::string_view service, int family) const;

  // Writes one command line; returns the next reply line ("" if the peer did not
  // answer within 20 s or is gone).
  std::string command(const std::string& line);
  // The next line the peer prints ("" after 20 s or at EOF).
  std::string read_line();

 private:
  PeerProcess() = default;
  // conformance_peer with `args` (its mode first).
  bool spawn(const std::vector<std::string>& args);
  void write_line(const std::string& line);

  pid_t pid_{-1};
  int to_peer_{-1};      // the peer's stdin
  int from_peer_{-1};    // the peer's stdout
  std::string pending_;  // read, not yet returned
  std::map<std::string, std::uint16_t, std::less<>> ports_;
};

}  // namespace weft::conformance
