#include "runtime/dev_node.hpp"

namespace weft::runtime {

class DevNode::FaultNotifier final : public tap::FrameSink {
 public:
  explicit FaultNotifier(DevNode& node) noexcept : node_(node) {}
  void send_frames(std::span<const ByteSpan> frames) override {
    node_.injector_->send_frames(frames);
    {
      std::lock_guard lock(node_.fault_mu_);
      node_.fault_kick_ = true;
    }
    node_.fault_cv_.notify_one();
  }

 private:
  DevNode& node_;
};

void DevNode::fault_loop() {
  std::unique_lock lock(fault_mu_);
  while (!fault_stop_) {
    fault_kick_ = false;
    lock.unlock();
    const Instant next = injector_->poll(clock_.now());
    lock.lock();
    auto woken = [this] { return fault_stop_ || fault_kick_; };
    if (next == Instant::max()) {
      fault_cv_.wait(lock, woken);
    } else {
      fault_cv_.wait_for(lock, next - clock_.now(), woken);
    }
  }
}

DevNode::DevNode(DevNodeConfig config, std::unique_ptr<tap::Tap> tap, std::unique_ptr<tap::DevLink> link) noexcept
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
    injector_ = std::make_unique<tap::FaultInjector>(*link_, clock_, *config_.faults);
    notifier_ = std::make_unique<FaultNotifier>(*this);
    tap_->attach_network(notifier_.get());
    fault_thread_ = std::thread([this] { fault_loop(); });
  } else {
    tap_->attach_network(link_.get());
  }
  auto n = stack::lwip::LwipNetif::attach(*tap_, nc);
  if (!n) return n.error();
  netif_ = std::move(n).value();
  WEFT_TRY(link_->start(peer, *tap_));
  netif_->up();
  return {};
}

DevNode::~DevNode() {
  link_->stop();   // no more put() once the receive thread is joined
  netif_.reset();  // no more transmit() once the netif is removed
  if (fault_thread_.joinable()) {
    {
      std::lock_guard lock(fault_mu_);
      fault_stop_ = true;
    }
    fault_cv_.notify_one();
    fault_thread_.join();
  }
}

std::optional<tap::FaultInjector::Stats> DevNode::fault_stats() const {
  if (!injector_) return std::nullopt;
  return injector_->stats();
}

stack::lwip::LwipNetif::Stats DevNode::netif_stats() const noexcept {
  return netif_ ? netif_->stats() : stack::lwip::LwipNetif::Stats{};
}

}  // namespace weft::runtime
