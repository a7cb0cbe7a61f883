#include "runtime/network_port.hpp"

#include <algorithm>
#include <cstring>

namespace weft::runtime {

stack::IpAddress ip_of(const vnet::Address& a) {
  if (a.ipv6) return stack::IpAddress::v6(std::span<const std::byte, 16>(a.bytes));
  return stack::IpAddress::v4(std::span<const std::byte, 4>(a.bytes.data(), 4));
}

Result<std::unique_ptr<NetworkPort>> NetworkPort::open(WireNode& node, NetworkId network, Mac mac,
                                                       std::size_t mtu,
                                                       const std::optional<tap::FaultConfig>& faults) {
  if (mtu < 1280 || mtu > tap::Tap::kMaxMtu) return Error::invalid_argument;
  // The stack keeps its TCP segments to what crosses to a peer as one datagram.
  const std::size_t frame = node.largest_unfragmented_network_frame();
  const std::size_t unfragmented =
      frame > tap::Tap::kEthernetHeader ? frame - tap::Tap::kEthernetHeader : 0;
  std::unique_ptr<NetworkPort> port(
      new NetworkPort(node, network, std::make_unique<tap::Tap>(mac, mtu, unfragmented)));
  if (faults) {
    port->faults_ = std::make_unique<FaultLine>(static_cast<tap::FrameSink&>(*port), *faults);
    port->tap_->attach_network(port->faults_.get());
  } else {
    port->tap_->attach_network(port.get());
  }
  stack::lwip::NetifConfig config;
  // Several networks may be joined: each netif routes its own subnets, and
  // none claims the default route for the whole process.
  config.default_route = false;
  auto netif = stack::lwip::LwipNetif::attach(*port->tap_, config);
  if (!netif) return netif.error();
  port->netif_ = std::move(*netif);
  return port;
}

Result<std::unique_ptr<NetworkPort>> NetworkPort::open_kernel(
    WireNode& node, NetworkId network, std::size_t mtu, std::unique_ptr<tap::KernelLink> link,
    const std::optional<tap::FaultConfig>& faults) {
  if (!link || mtu < 1280 || mtu > tap::Tap::kMaxMtu) return Error::invalid_argument;
  std::unique_ptr<NetworkPort> port(new NetworkPort(node, network, nullptr));
  if (faults)
    port->faults_ = std::make_unique<FaultLine>(static_cast<tap::FrameSink&>(*port), *faults);
  port->kernel_name_ = link->device().name();
  WEFT_TRY(link->start(mtu, port->outward()));
  port->kernel_ = std::move(link);
  return port;
}

tap::FrameSink& NetworkPort::outward() noexcept {
  if (faults_) return *faults_;
  return *this;
}

NetworkPort::NetworkPort(WireNode& node, NetworkId network, std::unique_ptr<tap::Tap> tap) noexcept
    : node_(node), network_(network), tap_(std::move(tap)) {}

NetworkPort::~NetworkPort() {
  kernel_.reset();  // joins its reader thread; the kernel removes the device
  netif_.reset();   // no more transmit() once the netif is removed
  if (tap_) tap_->attach_network(nullptr);
  faults_.reset();  // joins its thread while this port can still take its frames
}

void NetworkPort::send_frames(std::span<const ByteSpan> frames) {
  if (capturing_.load(std::memory_order_relaxed)) capture(frames);
  // Not joined any more, or the node stopped: the frames are lost, as on a
  // cable pulled out; the stack's own timers deal with it.
  (void)node_.send_network_frames(network_, frames);
}

void NetworkPort::capture(std::span<const ByteSpan> frames) {
  const Instant now = wall_clock_.now();
  // Held while offering so detach_capture can wait out a batch in flight;
  // offer() only copies, it never waits for the consumer.
  std::lock_guard lock(capture_mutex_);
  for (tap::CaptureQueue* q : captures_) q->offer(frames, now);
}

void NetworkPort::attach_capture(tap::CaptureQueue& queue) {
  std::lock_guard lock(capture_mutex_);
  captures_.push_back(&queue);
  capturing_.store(true, std::memory_order_relaxed);
}

void NetworkPort::detach_capture(tap::CaptureQueue& queue) {
  std::lock_guard lock(capture_mutex_);
  std::erase(captures_, &queue);
  capturing_.store(!captures_.empty(), std::memory_order_relaxed);
}

void NetworkPort::detach_all_captures() {
  std::lock_guard lock(capture_mutex_);
  captures_.clear();
  capturing_.store(false, std::memory_order_relaxed);
}

namespace {
osdep::InterfaceAddress interface_address(const vnet::Address& a) {
  osdep::InterfaceAddress out;
  out.ipv6 = a.ipv6;
  std::memcpy(out.bytes.data(), a.bytes.data(), out.bytes.size());
  out.prefix = a.prefix;
  return out;
}
}  // namespace

Result<void> NetworkPort::add_address(const vnet::Address& address) {
  if (kernel_)
    WEFT_TRY(kernel_->device().add_address(interface_address(address)));
  else if (address.ipv6)
    WEFT_TRY(netif_->add_ipv6(ip_of(address)));
  else
    WEFT_TRY(netif_->set_ipv4(ip_of(address), address.prefix));
  std::lock_guard lock(mutex_);
  if (std::find(addresses_.begin(), addresses_.end(), address) == addresses_.end())
    addresses_.push_back(address);
  return {};
}

Result<void> NetworkPort::remove_address(const vnet::Address& address) {
  if (kernel_)
    WEFT_TRY(kernel_->device().remove_address(interface_address(address)));
  else if (address.ipv6)
    WEFT_TRY(netif_->remove_ipv6(ip_of(address)));
  else
    WEFT_TRY(netif_->set_ipv4(std::nullopt, 0));
  std::lock_guard lock(mutex_);
  std::erase(addresses_, address);
  return {};
}

std::vector<vnet::Address> NetworkPort::addresses() const {
  std::lock_guard lock(mutex_);
  return addresses_;
}

}  // namespace weft::runtime
