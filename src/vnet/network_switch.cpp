#include "vnet/network_switch.hpp"

#include <algorithm>

#include "vnet/config_check.hpp"
#include "vnet/credentials.hpp"
#include "vnet/member_mac.hpp"
#include "wire/ethernet.hpp"

namespace weft::vnet {

NetworkSwitch::NetworkSwitch(NetworkId network, const crypto::PublicIdentity& self,
                             SwitchLimits limits)
    : network_(network),
      self_(self),
      mac_(MemberMac::derive(network, self.address())),
      limits_(limits) {}

std::vector<Address> NetworkSwitch::addresses() const {
  std::vector<Address> out;
  if (!config_) return out;
  for (const auto& a : config_->ipv4) {
    Address x{false, {}, a.prefix};
    std::copy(a.address.begin(), a.address.end(), x.bytes.begin());
    out.push_back(x);
  }
  for (const auto& a : config_->ipv6) out.push_back({true, a.address, a.prefix});
  std::sort(out.begin(), out.end());
  return out;
}

Result<ConfigChange> NetworkSwitch::accept_config(const wire::NetworkConfig& config,
                                                  const crypto::PublicIdentity& controller) {
  std::optional<ConfigCheck::Held> held;
  if (config_) held = ConfigCheck::Held{config_->revision, config_->issued_ms};
  if (auto ok = ConfigCheck::check(config, network_, self_, controller, held); !ok) {
    ++stats_.configs_rejected;
    return ok.error();
  }
  ConfigChange change;
  change.first = !config_;
  const auto before = addresses();
  config_ = config;
  controller_ = controller;
  const auto after = addresses();
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(change.added));
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(change.removed));
  return change;
}

std::vector<Address> NetworkSwitch::clear() {
  auto gone = addresses();
  config_.reset();
  peers_.clear();
  members_.clear();
  listed_ = false;
  unlisted_.clear();
  queued_bytes_ = 0;
  return gone;
}

Result<void> NetworkSwitch::accept_revocation(const wire::RevocationMessage& revocation) {
  if (!controller_) return Error::invalid_state;
  WEFT_TRY(ConfigCheck::check_revocation(revocation, network_, *controller_));
  if (revocations_.revoke(revocation.member, revocation.threshold_ms)) {
    ++stats_.revocations_applied;
    auto it = peers_.find(revocation.member);
    if (it != peers_.end() && it->second.credential &&
        revocations_.covers(revocation.member, it->second.credential->issued_ms)) {
      it->second.state = PeerState::rejected;
      it->second.credential.reset();
      drop_queue(it->second);
      members_.erase(revocation.member);
    }
  }
  return {};
}

NetworkSwitch::Peer& NetworkSwitch::peer(Instant now, NodeId id) {
  auto it = peers_.find(id);
  if (it == peers_.end()) {
    if (peers_.size() >= limits_.max_peers) {
      // The least recently used entry goes; a peer that comes back presents
      // its credential again (it costs one signature check).
      auto oldest = std::min_element(
          peers_.begin(), peers_.end(),
          [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
      drop_queue(oldest->second);
      peers_.erase(oldest);
      ++stats_.peers_evicted;
    }
    it = peers_.emplace(id, Peer{}).first;
  }
  it->second.last_used = now;
  return it->second;
}

void NetworkSwitch::drop_queue(Peer& p) {
  for (const auto& f : p.queue) queued_bytes_ -= f.size();
  p.queue.clear();
}

Result<void> NetworkSwitch::current(const Peer& p) const {
  if (p.state != PeerState::valid || !p.credential || !config_) return Error::not_authorized;
  const auto& theirs = *p.credential;
  const auto& mine = config_->credential;
  const std::uint64_t apart = theirs.issued_ms > mine.issued_ms ? theirs.issued_ms - mine.issued_ms
                                                                : mine.issued_ms - theirs.issued_ms;
  if (apart > std::min(theirs.max_delta_ms, mine.max_delta_ms)) return Error::expired;
  if (revocations_.covers(theirs.member, theirs.issued_ms)) return Error::revoked;
  return {};
}

Result<void> NetworkSwitch::accept_credential(Instant now, const crypto::PublicIdentity& id,
                                              const wire::MembershipCredential& credential,
                                              std::vector<Bytes>& released) {
  if (!config_ || !controller_) return Error::invalid_state;
  if (id.address() == self_.address()) return Error::invalid_argument;
  Peer& p = peer(now, id.address());
  if (p.credential && p.state == PeerState::valid &&
      credential.issued_ms < p.credential->issued_ms && current(p))
    return Error::replayed;
  if (auto ok = Credentials::check(credential, id, config_->credential, *controller_, revocations_);
      !ok) {
    ++stats_.credentials_rejected;
    // A credential that is merely out of step (expired) may be followed by a
    // fresh one: keep the peer pending; anything else is a refusal.
    p.state = ok.error() == Error::expired ? PeerState::pending : PeerState::rejected;
    p.credential.reset();
    if (p.state == PeerState::rejected) {
      stats_.dropped_rejected += p.queue.size();
      drop_queue(p);
      members_.erase(id.address());
    }
    return ok.error();
  }
  ++stats_.credentials_accepted;
  p.state = PeerState::valid;
  p.credential = credential;
  if (members_.size() < limits_.max_members) members_.insert(id.address());
  for (auto& f : p.queue) {
    queued_bytes_ -= f.size();
    released.push_back(std::move(f));
  }
  p.queue.clear();
  stats_.frames_sent += released.size();
  return {};
}

void NetworkSwitch::set_members(Instant now, const std::vector<NodeId>& members,
                                ListedOutput& out) {
  std::set<NodeId> next;
  for (const auto& [id, p] : peers_)
    if (p.state == PeerState::valid) next.insert(id);
  for (NodeId m : members) {
    if (next.size() >= limits_.max_members) break;
    if (m == self_.address()) continue;
    auto it = peers_.find(m);
    if (it != peers_.end() && it->second.state == PeerState::rejected) continue;
    next.insert(m);
  }
  members_ = std::move(next);
  listed_ = true;
  for (Unlisted& u : unlisted_) {
    if (now - u.made > kUnlistedWait) continue;  // the application has retried by now
    for (NodeId m : members_) {
      if (u.reached.contains(m)) continue;
      SwitchOutput one;
      target(now, m, u.frame, one);
      for (NodeId p : one.present) out.present.push_back(p);
      if (!one.send.empty()) out.send.emplace_back(m, u.frame);
    }
  }
  drop_unlisted();
}

void NetworkSwitch::keep_unlisted(Instant now, ByteSpan frame, const std::set<NodeId>& reached) {
  while (!unlisted_.empty() && now - unlisted_.front().made > kUnlistedWait) {
    queued_bytes_ -= unlisted_.front().frame.size();
    unlisted_.pop_front();
  }
  if (unlisted_.size() >= limits_.max_queued_per_peer ||
      queued_bytes_ + frame.size() > limits_.max_queued_bytes) {
    ++stats_.dropped_queue_full;
    return;
  }
  unlisted_.push_back({now, Bytes(frame.begin(), frame.end()), reached});
  queued_bytes_ += frame.size();
  ++stats_.frames_queued;
}

void NetworkSwitch::drop_unlisted() noexcept {
  for (const Unlisted& u : unlisted_) queued_bytes_ -= u.frame.size();
  unlisted_.clear();
}

void NetworkSwitch::target(Instant now, NodeId id, ByteSpan frame, SwitchOutput& out) {
  Peer& p = peer(now, id);
  if (p.state == PeerState::rejected) {
    ++stats_.dropped_rejected;
    return;
  }
  if (current(p)) {
    out.send.push_back(id);
    ++stats_.frames_sent;
    return;
  }
  p.state = PeerState::pending;
  out.present.push_back(id);
  if (p.queue.size() >= limits_.max_queued_per_peer ||
      queued_bytes_ + frame.size() > limits_.max_queued_bytes) {
    ++stats_.dropped_queue_full;
    return;
  }
  p.queue.push_back(Bytes(frame.begin(), frame.end()));
  queued_bytes_ += frame.size();
  ++stats_.frames_queued;
}

Result<void> NetworkSwitch::outbound(Instant now, ByteSpan frame, SwitchOutput& out) {
  if (!config_) {
    ++stats_.dropped_not_ready;
    return Error::invalid_state;
  }
  auto eth = wire::EthernetView::parse(frame);
  if (!eth) {
    ++stats_.dropped_malformed;
    return Error::malformed;
  }
  if (eth->source() != mac_) {
    ++stats_.dropped_spoofed_source;
    return Error::permission_denied;
  }
  const Mac dst = eth->destination();
  if (dst.is_multicast()) {  // broadcast included
    std::size_t n = 0;
    for (NodeId m : members_) {
      if (n == limits_.max_fanout) {
        ++stats_.fanout_limited;
        break;
      }
      target(now, m, frame, out);
      ++n;
    }
    if (!listed_) keep_unlisted(now, frame, members_);
    return {};
  }
  const auto member = MemberMac::member_of(network_, dst);
  if (!member || *member == self_.address()) {
    ++stats_.dropped_bad_destination;
    return Error::host_unreachable;
  }
  target(now, *member, frame, out);
  return {};
}

Result<void> NetworkSwitch::inbound(Instant now, NodeId from, ByteSpan frame) {
  if (!config_) {
    ++stats_.dropped_not_ready;
    return Error::invalid_state;
  }
  auto it = peers_.find(from);
  if (it == peers_.end()) {
    ++stats_.dropped_no_credential;
    return Error::not_authorized;
  }
  it->second.last_used = now;
  if (auto ok = current(it->second); !ok) {
    ++stats_.dropped_no_credential;
    return ok.error();
  }
  auto eth = wire::EthernetView::parse(frame);
  if (!eth) {
    ++stats_.dropped_malformed;
    return Error::malformed;
  }
  if (eth->source() != MemberMac::derive(network_, from)) {
    ++stats_.dropped_spoofed_source;
    return Error::permission_denied;
  }
  const Mac dst = eth->destination();
  if (!dst.is_multicast() && dst != mac_) {
    ++stats_.dropped_bad_destination;
    return Error::host_unreachable;
  }
  ++stats_.frames_received;
  return {};
}

bool NetworkSwitch::should_present(Instant now, NodeId id, bool asking) {
  if (!config_) return false;
  Peer& p = peer(now, id);
  const bool stale = p.presented_issued_ms != config_->credential.issued_ms;
  const bool due = !p.last_presented || now - *p.last_presented >= limits_.present_interval;
  if (!(stale || (asking && due))) return false;
  p.presented_issued_ms = config_->credential.issued_ms;
  p.last_presented = now;
  return true;
}

void NetworkSwitch::forget_presented(NodeId id) noexcept {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  it->second.presented_issued_ms.reset();
  it->second.last_presented.reset();
}

Bytes NetworkSwitch::presentation(bool want_reply) const {
  return wire::emit_bytes(wire::CredentialPresentation{want_reply, config_->credential});
}

NetworkSwitch::PeerState NetworkSwitch::peer_state(NodeId id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? PeerState::unknown : it->second.state;
}

}  // namespace weft::vnet
