#pragma once

#include <memory>

#include "stack/stack_driver.hpp"

namespace weft::stack::lwip {

// lwIP as Debian builds it (liblwip-dev 2.1.3): one stack per process, because
// lwIP keeps its state in globals. instance() starts it on first use (tcpip_init:
// lwIP's own thread runs the timers, sleeping until the next deadline) and it runs
// until the process exits: lwIP has no shutdown, so that thread is never joined.
// It also installs lwIP raw-input hooks for TCP and ICMP (listen backlog, UDP
// port unreachable: see lwip_stack.cpp).
//
// Before starting, the C library's rand() — lwIP's LWIP_RAND, used for the first
// ephemeral port — is seeded from the OS, so two processes do not pick the same
// ports. Known limitation: lwIP's initial sequence numbers are predictable
// (tcp_next_iss: iss += tcp_ticks), so off-path sequence guessing is easier than
// against Linux. The overlay's encryption, below the tap, is the defence.
class LwipStack final : public StackDriver {
 public:
  static LwipStack& instance();

  Result<std::unique_ptr<Socket>> open(Transport transport, Family family) override;
  void send_held_acks() noexcept override;

 private:
  LwipStack();
};

}  // namespace weft::stack::lwip
