#include "runtime/dev_node.hpp"

#include "runtime/sockets.hpp"

namespace weft::runtime {

DevNode::DevNode(DevNodeConfig config, std::unique_ptr<tap::Tap> tap,
                 std::unique_ptr<tap::DevLink> link) noexcept
    : config_(std::move(config)), tap_(std::move(tap)), link_(std::move(link)) {}

Result<std::unique_ptr<DevNode>> DevNode::open(const DevNodeConfig& config) {
  auto link = tap::DevLink::open(config.bind);
  if (!link) return link.error();
  auto t = std::make_unique<tap::Tap>(config.mac, config.mtu);
  return std::unique_ptr<DevNode>(new DevNode(config, std::move(t), std::move(link).value()));
}

Result<void> DevNode::start(const osdep::Endpoint& peer) {
  if (netif_) return Error::invalid_state;
  stack::lwip::NetifConfig nc;
  nc.ipv4 = config_.ipv4;
  nc.ipv4_prefix = config_.ipv4_prefix;
  nc.ipv6 = config_.ipv6;
  nc.default_route = config_.default_route;
  nc.up = false;  // the link needs its peer before the first frame leaves
  if (config_.faults) {
    faults_ = std::make_unique<FaultLine>(*link_, *config_.faults);
    tap_->attach_network(faults_.get());
  } else {
    tap_->attach_network(link_.get());
  }
  auto n = stack::lwip::LwipNetif::attach(*tap_, nc);
  if (!n) return n.error();
  netif_ = std::move(n).value();
  WEFT_TRY(link_->start(peer, *tap_));
  // Blocked socket calls receive for the link themselves (no hand-off).
  sockets().add_receive_pump(*link_);
  netif_->up();
  return {};
}

DevNode::~DevNode() {
  if (netif_) sockets().remove_receive_pump(*link_);  // no pump() once this returns
  link_->stop();    // no more put() once the receive thread is joined
  netif_.reset();   // no more transmit() once the netif is removed
  faults_.reset();  // joins its thread; held frames are dropped
}

std::optional<tap::FaultInjector::Stats> DevNode::fault_stats() const {
  if (!faults_) return std::nullopt;
  return faults_->stats();
}

stack::lwip::LwipNetif::Stats DevNode::netif_stats() const noexcept {
  return netif_ ? netif_->stats() : stack::lwip::LwipNetif::Stats{};
}

}  // namespace weft::runtime
