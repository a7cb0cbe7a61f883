#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "base/network_id.hpp"
#include "base/result.hpp"
#include "runtime/fault_line.hpp"
#include "runtime/wire_node.hpp"
#include "stack/lwip/lwip_netif.hpp"
#include "tap/tap.hpp"
#include "vnet/network_switch.hpp"

namespace weft::runtime {

// An address a controller assigned, as the stack names it.
[[nodiscard]] stack::IpAddress ip_of(const vnet::Address& a);

// One joined network's port into this process's stack: a Tap whose network
// side is the WireNode and whose stack side is an lwIP netif with the member's
// derived MAC, the network's MTU, and the addresses its controller assigned.
//
//   inward:  WireNode's I/O thread -> put(batch) -> tap -> netif (one core-lock
//            acquisition per batch)
//   outward: netif's linkoutput batch -> tap -> send_frames -> WireNode, on the
//            stack's thread (no hop)
// Destroy it only after the WireNode stopped delivering to it.
class NetworkPort final : private tap::FrameSink {
 public:
  // With `faults`, outbound frames pass a FaultLine first (tests; trying an
  // application on a bad network).
  static Result<std::unique_ptr<NetworkPort>> open(WireNode& node, NetworkId network, Mac mac,
                                                   std::size_t mtu,
                                                   const std::optional<tap::FaultConfig>& faults = {});
  ~NetworkPort() override;
  NetworkPort(const NetworkPort&) = delete;
  NetworkPort& operator=(const NetworkPort&) = delete;

  void put(std::span<const ByteSpan> frames) { tap_->put(frames); }

  // What the controller assigned (address_assigned / address_removed events).
  Result<void> add_address(const vnet::Address& address);
  Result<void> remove_address(const vnet::Address& address);
  [[nodiscard]] std::vector<vnet::Address> addresses() const;

  [[nodiscard]] NetworkId network() const noexcept { return network_; }
  [[nodiscard]] tap::Tap& tap() noexcept { return *tap_; }
  [[nodiscard]] stack::lwip::LwipNetif::Stats netif_stats() const noexcept {
    return netif_->stats();
  }

 private:
  NetworkPort(WireNode& node, NetworkId network, std::unique_ptr<tap::Tap> tap) noexcept;
  void send_frames(std::span<const ByteSpan> frames) override;

  WireNode& node_;
  NetworkId network_;
  std::unique_ptr<tap::Tap> tap_;
  std::unique_ptr<FaultLine> faults_;
  std::unique_ptr<stack::lwip::LwipNetif> netif_;
  mutable std::mutex mutex_;  // addresses_: the I/O thread adds, any thread reads
  std::vector<vnet::Address> addresses_;
};

}  // namespace weft::runtime
