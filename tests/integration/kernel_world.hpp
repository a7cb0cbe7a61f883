#pragma once

// The world of the kernel TAP tests (kernel_tap_test, the conformance suite's
// kernel peer across the overlay, bench): a root, a controller and a network
// (10.9.0.0/24 and its IPv6 addresses) of a Lab, a weftd node daemon whose
// member is the kernel's own TCP/IP stack through a TAP device, and optionally
// a weftd node daemon whose member is its user-space (lwIP) stack.
//
// Everything runs in the network namespace of the calling process, which
// enter_kernel_world() makes private first (support/private_netns.hpp): the
// daemons inherit it and the device vanishes with the processes.
//
// The includer defines WEFT_WEFTD_PATH and WEFT_CLI_PATH (intercept_world.hpp).

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "integration/intercept_world.hpp"
#include "integration/lab.hpp"
#include "osdep/linux_tap.hpp"
#include "support/private_netns.hpp"

extern "C" unsigned int if_nametoindex(const char* ifname);

namespace weft::integration {

// Moves this process into a private network namespace and checks a TAP device
// can be made there: empty when it worked, else why not (the caller SKIPS).
// Before the process starts any thread.
inline std::string enter_kernel_world() {
  const std::string& why_not = test_support::enter_private_netns();
  if (!why_not.empty()) return why_not;
  auto probe = osdep::LinuxTap::open("weftprobe%d");
  if (!probe) return "cannot create a TAP device here: " + std::string(message(probe.error()));
  return {};
}

inline bool device_exists(const char* name) { return if_nametoindex(name) != 0; }

// Waits (bounded: not a measure of speed) until the device is there or gone.
inline bool device_becomes(const char* name, bool present) {
  using namespace std::chrono_literals;
  for (int i = 0; i < 400; ++i) {
    if (device_exists(name) == present) return true;
    std::this_thread::sleep_for(25ms);
  }
  return false;
}

class KernelWorld {
 public:
  static constexpr const char* kDevice = "weftk0";

  // with_user: also a user-space member daemon ("u").
  explicit KernelWorld(bool with_user = true) : lab_(WEFT_WEFTD_PATH, WEFT_CLI_PATH) {
    if (!lab_.ready()) return;
    net_ = lab_.cli({"network", "create", "lab", "--pool", "10.9.0.0/24"});
    if (net_.size() != 16) return;
    kernel_ = start("k", {"--tap", kDevice});
    if (with_user) user_ = start("u", {});
    with_user_ = with_user;
  }

  [[nodiscard]] bool ready() const {
    return !kernel_.ip4.empty() && (!with_user_ || !user_.ip4.empty());
  }
  [[nodiscard]] Daemon& kernel() { return kernel_; }
  [[nodiscard]] Daemon& user() { return user_; }
  [[nodiscard]] const Lab& lab() const { return lab_; }
  [[nodiscard]] const std::string& dir() const { return lab_.dir(); }
  [[nodiscard]] const std::string& net() const { return net_; }

  // Admits a node (its 10-hex-digit address) to the network.
  [[nodiscard]] bool authorize(const std::string& address) const {
    return lab_.cli({"member", "authorize", net_, address}).find("authorized") != std::string::npos;
  }

  // A node daemon, authorized, joined with `join_args`, with its addresses.
  Daemon start(const std::string& name, const std::vector<std::string>& join_args) {
    return start_member(lab_, net_, name, {}, join_args);
  }

 private:
  Lab lab_;
  std::string net_;
  Daemon kernel_;
  Daemon user_;
  bool with_user_{true};
};

// The `ip` program of iproute2 (scripts/bootstrap.sh), or "" if absent.
inline std::string ip_program() {
  for (const char* p : {"/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip"})
    if (::access(p, X_OK) == 0) return p;
  return {};
}

}  // namespace weft::integration
