#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/network_id.hpp"
#include "base/result.hpp"
#include "runtime/fault_line.hpp"
#include "runtime/wire_node.hpp"
#include "stack/lwip/lwip_netif.hpp"
#include "tap/capture_queue.hpp"
#include "tap/kernel_link.hpp"
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
//
// Captures (weft capture): each attached CaptureQueue is offered every frame of
// both directions where they meet the network — inward before the tap's checks
// (what arrived), outward after the fault line if any (what left) — stamped
// with the wall clock. The two directions run on different threads (the node's
// I/O thread, the stack's sender), so the queues are guarded by a mutex; with
// none attached the data path pays one relaxed atomic load per batch.
//
// Kernel mode (open_kernel, `weft join NET --tap`): the stack side is the
// Linux kernel's own TCP/IP stack through a TAP device (tap::KernelLink)
// instead of an lwIP netif. Inward frames are written into the device on the
// I/O thread; the link's reader thread sends what the kernel transmits, in
// batches, to the WireNode (no other hop). The assigned addresses go on the
// device, so every program on the host reaches the members unmodified.
// Destroy it only after the WireNode stopped delivering to it.
class NetworkPort final : private tap::FrameSink {
 public:
  // With `faults`, outbound frames pass a FaultLine first (tests; trying an
  // application on a bad network).
  static Result<std::unique_ptr<NetworkPort>> open(WireNode& node, NetworkId network, Mac mac,
                                                   std::size_t mtu,
                                                   const std::optional<tap::FaultConfig>& faults = {});
  // Kernel mode over `link` (a device already named and given the member's
  // MAC): sets its MTU, brings it up and starts its reader thread. The port
  // owns the link; the device goes when the port does.
  static Result<std::unique_ptr<NetworkPort>> open_kernel(
      WireNode& node, NetworkId network, std::size_t mtu, std::unique_ptr<tap::KernelLink> link,
      const std::optional<tap::FaultConfig>& faults = {});
  ~NetworkPort() override;
  NetworkPort(const NetworkPort&) = delete;
  NetworkPort& operator=(const NetworkPort&) = delete;

  void put(std::span<const ByteSpan> frames) {
    if (capturing_.load(std::memory_order_relaxed)) capture(frames);
    if (kernel_)
      kernel_->send_frames(frames);
    else
      tap_->put(frames);
  }

  // Any thread. Once detach returns, no frame of this port is being offered to
  // `queue` (it may be destroyed).
  void attach_capture(tap::CaptureQueue& queue);
  void detach_capture(tap::CaptureQueue& queue);
  void detach_all_captures();

  // What the controller assigned (address_assigned / address_removed events).
  Result<void> add_address(const vnet::Address& address);
  Result<void> remove_address(const vnet::Address& address);
  [[nodiscard]] std::vector<vnet::Address> addresses() const;

  [[nodiscard]] NetworkId network() const noexcept { return network_; }
  // The kernel TAP device's name; empty for an lwIP port.
  [[nodiscard]] const std::string& kernel_device() const noexcept { return kernel_name_; }

 private:
  NetworkPort(WireNode& node, NetworkId network, std::unique_ptr<tap::Tap> tap) noexcept;
  tap::FrameSink& outward() noexcept;
  void send_frames(std::span<const ByteSpan> frames) override;
  void capture(std::span<const ByteSpan> frames);

  WireNode& node_;
  NetworkId network_;
  std::unique_ptr<tap::Tap> tap_;
  std::unique_ptr<FaultLine> faults_;
  std::unique_ptr<stack::lwip::LwipNetif> netif_;  // lwIP mode
  std::unique_ptr<tap::KernelLink> kernel_;        // kernel mode
  std::string kernel_name_;
  mutable std::mutex mutex_;  // addresses_: the I/O thread adds, any thread reads
  std::vector<vnet::Address> addresses_;

  // Relaxed: a frame missed just after attach, or a look at an empty list just
  // after detach, is harmless; the list itself is only read under the mutex.
  std::atomic<bool> capturing_{false};
  std::mutex capture_mutex_;
  std::vector<tap::CaptureQueue*> captures_;  // guarded by capture_mutex_
  SystemClock wall_clock_;
};

}  // namespace weft::runtime
