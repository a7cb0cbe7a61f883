#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "base/mac.hpp"
#include "base/result.hpp"
#include "osdep/endpoint.hpp"
#include "stack/endpoint.hpp"
#include "stack/lwip/lwip_netif.hpp"
#include "runtime/fault_line.hpp"
#include "tap/fault_injector.hpp"
#include "tap/dev_link.hpp"
#include "tap/tap.hpp"

namespace weft::runtime {

struct DevNodeConfig {
  Mac mac;
  std::size_t mtu{1500};
  std::optional<stack::IpAddress> ipv4;
  int ipv4_prefix{24};
  std::optional<stack::IpAddress> ipv6;  // on-link /64 with the peer
  osdep::Endpoint bind{osdep::Endpoint::loopback_v4(0)};
  bool default_route{true};
  // Damage outbound frames (tests of TCP under loss, reordering, corruption).
  std::optional<tap::FaultConfig> faults;
};

// A stack on a dev link (UNENCRYPTED, for tests and benchmarks): Tap + DevLink +
// one lwIP netif in this process's lwIP stack. open() binds the link's UDP socket
// (so the port can be given to the peer process); start() connects it to the peer
// and brings the netif up. Several DevNodes may share the process's one stack,
// each with its own netif (use distinct subnets).
class DevNode {
 public:
  static Result<std::unique_ptr<DevNode>> open(const DevNodeConfig& config);
  ~DevNode();
  DevNode(const DevNode&) = delete;
  DevNode& operator=(const DevNode&) = delete;

  [[nodiscard]] const osdep::Endpoint& local() const noexcept { return link_->local(); }
  Result<void> start(const osdep::Endpoint& peer);

  [[nodiscard]] tap::Tap& tap() noexcept { return *tap_; }
  [[nodiscard]] tap::DevLink& link() noexcept { return *link_; }
  [[nodiscard]] stack::lwip::LwipNetif::Stats netif_stats() const noexcept;
  [[nodiscard]] std::optional<tap::FaultInjector::Stats> fault_stats() const;

 private:
  DevNode(DevNodeConfig config, std::unique_ptr<tap::Tap> tap, std::unique_ptr<tap::DevLink> link) noexcept;

  DevNodeConfig config_;
  std::unique_ptr<tap::Tap> tap_;
  std::unique_ptr<tap::DevLink> link_;
  std::unique_ptr<FaultLine> faults_;  // with faults: tap -> faults_ -> link
  std::unique_ptr<stack::lwip::LwipNetif> netif_;
};

}  // namespace weft::runtime
