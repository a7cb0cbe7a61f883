#include "runtime/wire_node.hpp"

#include <ctime>

#include "runtime/wire_endpoint.hpp"

namespace weft::runtime {

namespace {

// Initiation and registration timestamps must keep increasing across
// restarts, so they are wall-clock based: the offset of CLOCK_REALTIME from
// the monotonic clock the node runs on.
std::int64_t wall_clock_offset_ns(const Clock& clock) {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  const std::int64_t wall = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  return wall - clock.now().nanos();
}

bool is_unspecified(const osdep::Endpoint& e) {
  const auto& a = e.address();
  const std::size_t n = e.is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != 0) return false;
  return true;
}

}  // namespace

Result<std::unique_ptr<WireNode>> WireNode::open(crypto::Identity identity, WireNodeConfig config) {
  auto loop = osdep::DatagramLoop::open(config.bind, config.io);
  if (!loop) return loop.error();
  if (config.node.local_endpoints.empty() && !is_unspecified((*loop)->local())) {
    if (auto e = to_wire((*loop)->local())) config.node.local_endpoints.push_back(*e);
  }
  return std::unique_ptr<WireNode>(
      new WireNode(std::move(identity), std::move(config), std::move(*loop)));
}

WireNode::WireNode(crypto::Identity identity, WireNodeConfig config,
                   std::unique_ptr<osdep::DatagramLoop> loop)
    : identity_(std::move(identity)),
      rng_(std::make_unique<crypto::SystemRng>()),
      identities_(std::make_unique<peer::IdentityCache>()),
      loop_(std::move(loop)) {
  config.node.sessions.timestamp_offset_ns = wall_clock_offset_ns(clock_);
  if (config.node.sessions.verifier == nullptr) config.node.sessions.verifier = identities_.get();
  if (config.node.verifier == nullptr) config.node.verifier = identities_.get();
  node_ = std::make_unique<node::Node>(identity_, *rng_, static_cast<node::NodeHost&>(*this),
                                       std::move(config.node));
}

WireNode::~WireNode() { stop(); }

Result<void> WireNode::start(WireNodeObserver& observer) {
  {
    std::lock_guard lock(mutex_);
    if (running_ || observer_ != nullptr) return Error::invalid_state;
    running_ = true;
  }
  observer_ = &observer;
  return loop_->start(static_cast<osdep::DatagramHandler&>(*this), clock_);
}

void WireNode::stop() noexcept {
  {
    std::lock_guard lock(mutex_);
    running_ = false;
  }
  loop_->stop();
}

Result<void> WireNode::send_frame(NodeId peer, ByteSpan frame) {
  return send_frames(peer, std::span(&frame, 1));
}

Result<void> WireNode::send_frames(NodeId peer, std::span<const ByteSpan> frames) {
  return send_locked([&](Instant now) {
    Result<void> result;
    for (const ByteSpan f : frames) {
      auto r = node_->send_frame(now, peer, f);
      if (!r && result) result = r;
    }
    return result;
  });
}

Result<void> WireNode::send_network_frames(NetworkId network, std::span<const ByteSpan> frames) {
  return send_locked([&](Instant now) -> Result<void> {
    for (const ByteSpan f : frames) {
      // Refusals (not ready, no such member, ...) are the switch's counters'.
      if (auto r = node_->send_network_frame(now, network, f); !r && r.error() == Error::not_found)
        return r;
    }
    return {};
  });
}

Result<void> WireNode::join(NetworkId network) {
  return send_locked([&](Instant now) { return node_->join(now, network); });
}

Result<void> WireNode::leave(NetworkId network) {
  return send_locked([&](Instant now) { return node_->leave(now, network); });
}

Result<void> WireNode::query_name(NetworkId network, std::uint32_t query, std::string_view name) {
  return send_locked([&](Instant now) { return node_->query_name(now, network, query, name); });
}

template <typename Send>
Result<void> WireNode::send_locked(Send&& send) {
  bool wake = false;
  Result<void> result;
  {
    std::lock_guard lock(mutex_);
    if (!running_) return Error::invalid_state;
    const std::uint64_t direct_before = node_->stats().direct_sent;
    result = send(clock_.now());
    wake = node_->stats().direct_sent == direct_before || !events_.empty();
    flush_locked();
  }
  if (wake) loop_->request_tick();
  return result;
}

void WireNode::flush_locked() {
  if (outbox_.empty()) return;
  send_dropped_ += outbox_.flush(loop_->socket()).dropped;
}

// ---- NodeHost: under mutex_

void WireNode::send_datagram(const wire::Endpoint& to, ByteSpan datagram, node::SendOrder order) {
  outbox_.add(to_osdep(to), datagram,
              order == node::SendOrder::may_lead ? osdep::Outbox::Order::may_lead
                                                 : osdep::Outbox::Order::in_turn);
}

void WireNode::deliver_frame(NodeId from, ByteSpan frame) {
  if (frames_ == delivered_.size()) {
    delivered_.push_back({from, std::nullopt, Bytes(frame.begin(), frame.end())});
  } else {
    delivered_[frames_].from = from;
    delivered_[frames_].network.reset();
    delivered_[frames_].frame.assign(frame.begin(), frame.end());
  }
  ++frames_;
}

void WireNode::deliver_network_frame(NetworkId network, ByteSpan frame) {
  deliver_frame(address(), frame);  // the sender is the switch's business, not the stack's
  delivered_[frames_ - 1].network = network;
}

void WireNode::on_event(const node::NodeEvent& event) { events_.push_back(event); }

void WireNode::on_name_answer(const wire::NameAnswer& answer) { answers_.push_back(answer); }

// ---- DatagramHandler: the I/O thread

void WireNode::on_datagrams(Instant now, std::span<const osdep::Datagram> batch) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& d : batch) {
      const auto from = to_wire(d.from);
      if (!from) {  // port 0 or a scoped source: nothing could answer it
        ++unanswerable_dropped_;
        continue;
      }
      node_->process_datagram(now, *from, d.data);
    }
    flush_locked();
  }
  hand_over();
}

Instant WireNode::on_tick(Instant now) {
  Instant next;
  {
    std::lock_guard lock(mutex_);
    next = node_->tick(now);
    flush_locked();
  }
  hand_over();
  return next;
}

void WireNode::hand_over() {
  std::vector<wire::NameAnswer> answers;  // rare: no buffer is kept for them
  {
    std::lock_guard lock(mutex_);
    // Swap the filled buffers out, so the next batch fills the ones handed
    // over last time (no allocation in steady state).
    for (std::size_t i = 0; i < frames_; ++i) {
      if (i == handing_frames_.size())
        handing_frames_.push_back(std::move(delivered_[i]));
      else
        std::swap(handing_frames_[i], delivered_[i]);
    }
    handing_count_ = frames_;
    frames_ = 0;
    handing_events_.swap(events_);
    events_.clear();
    answers.swap(answers_);
  }
  // In arrival order: VL1 frames in one call, each run of one network's frames in one call.
  handing_.clear();
  for (std::size_t i = 0; i < handing_count_; ++i) {
    const auto& d = handing_frames_[i];
    if (!d.network) handing_.push_back({d.from, d.frame});
  }
  if (!handing_.empty()) observer_->on_frames(handing_);
  for (std::size_t i = 0; i < handing_count_;) {
    const auto network = handing_frames_[i].network;
    if (!network) {
      ++i;
      continue;
    }
    handing_network_.clear();
    for (; i < handing_count_ && handing_frames_[i].network == network; ++i)
      handing_network_.push_back(handing_frames_[i].frame);
    observer_->on_network_frames(*network, handing_network_);
  }
  for (const auto& e : handing_events_) observer_->on_event(e);
  handing_events_.clear();
  for (const auto& a : answers) observer_->on_name_answer(a);
}

WireNode::Stats WireNode::stats() const {
  std::lock_guard lock(mutex_);
  return {node_->stats(), node_->session_stats(), node_->reassembly_stats(),
          loop_->stats(), send_dropped_,          unanswerable_dropped_};
}

std::vector<node::PeerStats> WireNode::peer_stats() const {
  const Instant now = clock_.now();
  std::lock_guard lock(mutex_);
  return node_->peer_stats(now);
}

node::Route WireNode::route(NodeId peer) const {
  std::lock_guard lock(mutex_);
  return node_->route(clock_.now(), peer);
}

std::optional<wire::NetworkConfig> WireNode::network_config(NetworkId network) const {
  std::lock_guard lock(mutex_);
  const auto* sw = node_->network(network);
  if (sw == nullptr) return std::nullopt;
  return sw->config();
}

bool WireNode::registered(std::size_t root_index) const {
  std::lock_guard lock(mutex_);
  return node_->registered(clock_.now(), root_index);
}

}  // namespace weft::runtime
