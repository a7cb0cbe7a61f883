#include "sim/sim_network.hpp"

#include <memory>

namespace weft::sim {

const char* nat_name(NatType t) {
  switch (t) {
    case NatType::full_cone: return "full-cone";
    case NatType::address_restricted: return "address-restricted";
    case NatType::port_restricted: return "port-restricted";
    case NatType::symmetric: return "symmetric";
  }
  return "?";
}

wire::Endpoint ep(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                  std::uint16_t port) {
  return wire::Endpoint::ipv4({std::byte{a}, std::byte{b}, std::byte{c}, std::byte{d}}, port);
}

int SimNetwork::add_nat(NatType type, Duration mapping_timeout) {
  nats_.push_back(Nat{type, mapping_timeout, {}});
  return static_cast<int>(nats_.size());  // 1-based: 10.k.0.x
}

wire::Endpoint SimNetwork::nat_public(int nat) const {
  return ep(100, 65, 0, static_cast<std::uint8_t>(nat), 0);
}

void SimNetwork::attach(const wire::Endpoint& local, LinkConfig link, Receiver receiver) {
  hosts_.insert_or_assign(local, Host{link, std::move(receiver), now_});
}

void SimNetwork::set_down(const wire::Endpoint& local, bool down) { hosts_.at(local).down = down; }

void SimNetwork::block(const wire::Endpoint& a, const wire::Endpoint& b, bool blocked) {
  if (blocked) {
    blocked_.insert({a, b});
    blocked_.insert({b, a});
  } else {
    blocked_.erase({a, b});
    blocked_.erase({b, a});
  }
}

int SimNetwork::nat_of(const wire::Endpoint& e) const {
  const auto& a = e.address;
  if (a[0] == std::byte{10}) return static_cast<int>(a[1]);
  return -1;
}

int SimNetwork::nat_by_public(const wire::Endpoint& e) const {
  const auto& a = e.address;
  if (a[0] == std::byte{100} && a[1] == std::byte{65} && a[2] == std::byte{0}) {
    const int k = static_cast<int>(a[3]);
    if (k >= 1 && k <= static_cast<int>(nats_.size())) return k;
  }
  return -1;
}

wire::Endpoint SimNetwork::translate_out(int nat, const wire::Endpoint& internal,
                                         const wire::Endpoint& to) {
  Nat& n = nats_.at(nat - 1);
  // Expired mappings are forgotten when next looked at.
  std::erase_if(n.by_port, [&](const auto& kv) { return now_ - kv.second.last_out >= n.timeout; });
  for (auto& [port, m] : n.by_port) {
    if (m.internal != internal) continue;
    if (n.type == NatType::symmetric && m.remote != to) continue;
    m.last_out = now_;
    m.contacted.insert(to);
    wire::Endpoint pub = nat_public(nat);
    pub.port = port;
    return pub;
  }
  const std::uint16_t port = n.next_port++;
  Mapping m{internal, std::nullopt, {to}, now_};
  if (n.type == NatType::symmetric) m.remote = to;
  n.by_port.emplace(port, std::move(m));
  wire::Endpoint pub = nat_public(nat);
  pub.port = port;
  return pub;
}

std::optional<wire::Endpoint> SimNetwork::translate_in(int nat, const wire::Endpoint& from,
                                                       const wire::Endpoint& to) {
  Nat& n = nats_.at(nat - 1);
  auto it = n.by_port.find(to.port);
  if (it == n.by_port.end()) return std::nullopt;
  Mapping& m = it->second;
  if (now_ - m.last_out >= n.timeout) {
    n.by_port.erase(it);
    return std::nullopt;
  }
  switch (n.type) {
    case NatType::full_cone: break;
    case NatType::address_restricted: {
      bool ok = false;
      for (const auto& c : m.contacted) ok = ok || c.address == from.address;
      if (!ok) return std::nullopt;
      break;
    }
    case NatType::port_restricted:
    case NatType::symmetric:
      if (!m.contacted.contains(from)) return std::nullopt;
      break;
  }
  return m.internal;
}

void SimNetwork::fold(std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    hash_ ^= (v >> (8 * i)) & 0xff;
    hash_ *= 1099511628211ULL;
  }
}

void SimNetwork::send(const wire::Endpoint& from_local, const wire::Endpoint& to,
                      ByteSpan datagram) {
  auto h = hosts_.find(from_local);
  if (h == hosts_.end() || h->second.down) {
    ++dropped_;
    return;
  }
  Host& src = h->second;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // Draw every random number for every datagram, lost or not, so one change
  // of loss rate does not shift every later draw differently.
  const double loss_draw = u(rng_);
  const double jitter_draw = u(rng_);
  // Same LAN: no translation. Otherwise out through the sender's NAT.
  wire::Endpoint seen = from_local;
  const int src_nat = nat_of(from_local);
  if (src_nat > 0 && nat_of(to) != src_nat) seen = translate_out(src_nat, from_local, to);
  Instant depart = std::max(now_, src.uplink_free);
  if (src.link.bits_per_second > 0) {
    const auto ns = static_cast<std::int64_t>(datagram.size() * 8 * 1'000'000'000ULL /
                                              src.link.bits_per_second);
    depart = depart + Duration{ns};
    src.uplink_free = depart;
  }
  Duration delay = src.link.latency;
  delay += Duration{
      static_cast<std::int64_t>(jitter_draw * static_cast<double>(src.link.jitter.count()))};
  if (loss_draw < src.link.loss) {
    ++dropped_;
    return;
  }
  auto bytes = std::make_shared<Bytes>(datagram.begin(), datagram.end());
  const wire::Endpoint from_copy = from_local;
  const wire::Endpoint to_copy = to;
  schedule(depart + delay,
           [this, from_copy, seen, to_copy, bytes] { deliver(from_copy, seen, to_copy, *bytes); });
}

void SimNetwork::deliver(const wire::Endpoint& from_local, const wire::Endpoint& from_seen,
                         const wire::Endpoint& to, const Bytes& datagram) {
  wire::Endpoint local = to;
  // A private address is reachable only from its own LAN.
  if (const int k = nat_of(to); k > 0 && nat_of(from_local) != k) {
    ++dropped_;
    return;
  }
  if (const int nat = nat_by_public(to); nat > 0) {
    auto in = translate_in(nat, from_seen, to);
    if (!in) {
      ++dropped_;
      return;
    }
    local = *in;
  }
  auto h = hosts_.find(local);
  if (h == hosts_.end() || h->second.down || blocked_.contains({from_local, to})) {
    ++dropped_;
    return;
  }
  Host& dst = h->second;
  // The receiver's half of the latency, and its loss, applied on arrival.
  std::uniform_real_distribution<double> u(0.0, 1.0);
  if (u(rng_) < dst.link.loss) {
    ++dropped_;
    return;
  }
  auto bytes = std::make_shared<Bytes>(datagram);
  schedule(now_ + dst.link.latency, [this, local, from_seen, bytes] {
    auto hh = hosts_.find(local);
    if (hh == hosts_.end() || hh->second.down) {
      ++dropped_;
      return;
    }
    ++delivered_;
    fold(static_cast<std::uint64_t>(now_.nanos()));
    fold(from_seen.port);
    fold(local.port);
    for (std::byte b : *bytes) {
      hash_ ^= static_cast<std::uint64_t>(b);
      hash_ *= 1099511628211ULL;
    }
    if (observer) observer(from_seen, local, *bytes);
    hh->second.receiver(now_, from_seen, *bytes);
  });
}

void SimNetwork::schedule(Instant at, std::function<void()> fn) {
  events_.push(Event{at, seq_++, std::move(fn)});
}

void SimNetwork::run_until(Instant until) {
  while (!events_.empty() && events_.top().at <= until) {
    Event e = events_.top();
    events_.pop();
    now_ = std::max(now_, e.at);
    e.fn();
  }
  now_ = std::max(now_, until);
}

}  // namespace weft::sim
