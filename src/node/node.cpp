#include "node/node.hpp"

#include <algorithm>

#include "wire/frame.hpp"
#include "wire/header.hpp"
#include "wire/inner.hpp"
#include "wire/lookup.hpp"
#include "wire/lookup_reply.hpp"
#include "wire/probe.hpp"
#include "wire/registration.hpp"
#include "wire/registration_ack.hpp"
#include "wire/relay.hpp"
#include "wire/rendezvous.hpp"

namespace weft::node {

namespace {

using wire::emit_bytes;

std::optional<wire::MessageType> type_of(ByteSpan datagram) {
  auto h = wire::Header::parse(datagram);
  if (!h) return std::nullopt;
  return h->type;
}

}  // namespace

Node::Node(const crypto::Identity& self, crypto::Rng& rng, NodeHost& host, NodeConfig config)
    : self_(self),
      rng_(rng),
      host_(host),
      config_(std::move(config)),
      sessions_(self, rng, config_.sessions) {
  for (const auto& r : config_.roots) {
    if (r.endpoints.empty() || r.identity.address() == self.address()) continue;
    (void)sessions_.add_peer(r.identity);  // a duplicate entry is harmless
    roots_.emplace_back(r);
  }
  next_probe_id_ = rng_.next_u64();
}

std::optional<std::size_t> Node::root_index(NodeId id) const {
  for (std::size_t i = 0; i < roots_.size(); ++i)
    if (roots_[i].entry.identity.address() == id) return i;
  return std::nullopt;
}

bool Node::root_alive(Instant now, const RootState& r) const {
  return r.last_ack && now - *r.last_ack < config_.root_timeout;
}

bool Node::registered(Instant now, std::size_t i) const {
  return i < roots_.size() && root_alive(now, roots_[i]);
}

std::optional<std::size_t> Node::relay_root(Instant now) const {
  for (std::size_t i = 0; i < roots_.size(); ++i)
    if (root_alive(now, roots_[i])) return i;
  return std::nullopt;
}

Node::PeerInfo& Node::info(NodeId peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) it = peers_.emplace(peer, PeerInfo{config_.paths}).first;
  return it->second;
}

Route Node::route(Instant /*now*/, NodeId peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return {};
  return Route{it->second.reported, it->second.reported_endpoint};
}

std::vector<PeerStats> Node::peer_stats(Instant /*now*/) const {
  std::vector<PeerStats> v;
  v.reserve(roots_.size() + peers_.size());
  for (const auto& r : roots_) {
    PeerStats s(r.entry.identity.address());
    s.root = true;
    s.route = Route{Route::Kind::direct, r.entry.endpoints.front()};
    s.latency = r.rtt;
    s.last_latency = r.last_rtt;
    s.session = sessions_.has_session(s.peer);
    s.paths = 1;
    s.traffic = r.traffic;
    s.last_received = r.last_received;
    v.push_back(s);
  }
  const std::size_t first_peer = v.size();
  for (const auto& [id, p] : peers_) {
    if (root_index(id)) continue;  // a frame addressed to a root: counted as the root's
    PeerStats s(id);
    s.route = Route{p.reported, p.reported_endpoint};
    if (p.reported == Route::Kind::direct && p.reported_endpoint) {
      s.latency = p.paths.latency(*p.reported_endpoint);
      s.last_latency = p.paths.last_latency(*p.reported_endpoint);
    }
    s.session = sessions_.has_session(id);
    s.looking_up = p.lookup_started.has_value();
    s.paths = p.paths.size();
    s.traffic = p.traffic;
    s.last_received = p.last_received;
    v.push_back(s);
  }
  // The same order on every call (the peer table's is not).
  std::sort(v.begin() + static_cast<std::ptrdiff_t>(first_peer), v.end(),
            [](const PeerStats& a, const PeerStats& b) { return a.peer < b.peer; });
  return v;
}

// ---- receiving ----

void Node::process_datagram(Instant now, const wire::Endpoint& from, ByteSpan datagram) {
  ++stats_.datagrams_received;
  stats_.bytes_received += datagram.size();
  auto type = type_of(datagram);
  std::optional<NodeId> relayed_from;
  ByteSpan payload = datagram;
  if (type == wire::MessageType::relay) {
    auto v = wire::RelayView::parse(datagram);
    if (!v || v->destination() != self_.address()) {
      ++stats_.relay_malformed;
      return;
    }
    relayed_from = v->source();
    payload = v->payload();
    type = v->payload_type();
  }
  std::vector<peer::Outgoing>& out = out_;  // empty: route_out leaves it so
  auto r = sessions_.receive(now, from, payload, out);
  if (!r) {
    ++stats_.datagrams_dropped;
    route_out(now, out, from, relayed_from);
    return;
  }
  if (r->peer) {
    const NodeId id = *r->peer;
    const auto ri = root_index(id);
    PeerInfo* p = nullptr;
    TrafficCounters* counters = nullptr;
    if (ri) {
      counters = &roots_[*ri].traffic;
      roots_[*ri].last_received = now;
    } else {
      p = &info(id);
      p->known = true;
      p->last_received = now;
      counters = &p->traffic;
      // Only a datagram that proved the peer's keys, and came straight from
      // `from`, makes `from` a path: data under the session, or a response.
      const bool proven =
          r->kind == peer::Received::Kind::message || r->kind == peer::Received::Kind::keepalive ||
          (r->kind == peer::Received::Kind::handshake && type == wire::MessageType::response);
      if (proven && !relayed_from) {
        if (r->new_session) {
          p->paths.session_started(now, from);
          for (auto& [net_id, net] : networks_) net.sw.forget_presented(id);
        } else {
          p->paths.authenticated(now, from);
        }
      }
    }
    ++counters->datagrams_received;
    counters->bytes_received += datagram.size();
    route_out(now, out, from, relayed_from, counters);
    if (r->kind == peer::Received::Kind::message) {
      if (ri)
        handle_root_message(now, *ri, r->message);
      else
        handle_peer_message(now, id, *p, r->message, from, relayed_from);
      // Handled (the host copied what it keeps): the next datagram reuses it.
      sessions_.recycle(std::move(r->message));
    }
    return;
  }
  route_out(now, out, from, relayed_from);
}

void Node::handle_peer_message(Instant now, NodeId peer, PeerInfo& peer_info, ByteSpan m,
                               const wire::Endpoint& from, std::optional<NodeId> relayed_by) {
  auto type = wire::inner_type(m);
  if (!type) {
    ++stats_.messages_malformed;
    return;
  }
  switch (*type) {
    case wire::InnerType::frame: {
      auto f = wire::FrameView::parse(m);
      if (!f) {
        ++stats_.messages_malformed;
        return;
      }
      const ByteSpan payload = f->payload();
      ++peer_info.traffic.frames_received;
      peer_info.traffic.frame_bytes_received += payload.size();
      const auto first = static_cast<std::uint8_t>(payload[0]);
      if (first >= 0x20 && first <= 0x2f)
        handle_vl2(now, peer, payload);
      else
        host_.deliver_frame(peer, payload);
      return;
    }
    case wire::InnerType::probe:
    case wire::InnerType::probe_reply: {
      auto p = wire::Probe::parse(m);
      if (!p) {
        ++stats_.messages_malformed;
        return;
      }
      if (p->reply) {
        if (!relayed_by) peer_info.paths.probe_reply(now, from, p->id);
        return;
      }
      // Answer the way the probe came, so the prober measures that path.
      const Bytes reply = emit_bytes(wire::Probe{true, p->id});
      std::vector<peer::Outgoing> out;
      (void)sessions_.send(now, peer, reply, out);
      for (auto& o : out) {
        if (o.peer && type_of(o.datagram) == wire::MessageType::data) {
          if (relayed_by)
            send_relayed(now, peer, o.datagram, &peer_info.traffic, from);
          else
            emit(from, o.datagram, &peer_info.traffic);
        } else if (o.peer) {
          send_to_peer(now, *o.peer, o.datagram);
        }
      }
      return;
    }
    case wire::InnerType::registration:
    case wire::InnerType::registration_ack:
    case wire::InnerType::lookup:
    case wire::InnerType::lookup_reply:
    case wire::InnerType::rendezvous:
      // Only a configured root may tell us where peers are.
      ++stats_.root_messages_from_non_roots;
      return;
    default: ++stats_.messages_ignored; return;
  }
}

void Node::handle_root_message(Instant now, std::size_t root, ByteSpan m) {
  auto type = wire::inner_type(m);
  if (!type) {
    ++stats_.messages_malformed;
    return;
  }
  switch (*type) {
    case wire::InnerType::registration_ack: {
      auto ack = wire::RegistrationAck::parse(m);
      if (!ack || ack->timestamp > last_registration_ts_) {
        ++stats_.messages_malformed;
        return;
      }
      RootState& r = roots_[root];
      r.last_ack = now;
      if (r.timed_registration == ack->timestamp) {
        const Duration sample = now - r.last_register;
        r.last_rtt = sample;
        r.rtt = r.rtt ? *r.rtt + (sample - *r.rtt) / 8 : sample;  // as PathSet smooths
        r.timed_registration.reset();
      }
      if (!r.announced) {
        r.announced = true;
        host_.on_event(
            {NodeEvent::Kind::root_registered, r.entry.identity.address(), ack->observed});
      }
      return;
    }
    case wire::InnerType::lookup_reply: {
      auto reply = wire::LookupReply::parse(m);
      if (!reply) {
        ++stats_.messages_malformed;
        return;
      }
      auto it = lookups_.find(reply->request_id);
      if (it == lookups_.end() || it->second != reply->address) {  // late, or not ours
        ++stats_.messages_ignored;
        return;
      }
      // "Not found" from one root may be answered by another: the timeout decides.
      if (reply->record && reply->record->address == reply->address)
        learn(now, *reply->record, true);
      return;
    }
    case wire::InnerType::rendezvous: {
      auto rv = wire::Rendezvous::parse(m);
      if (!rv) {
        ++stats_.messages_malformed;
        return;
      }
      ++stats_.rendezvous_received;
      learn(now, rv->record, true);
      return;
    }
    default: ++stats_.messages_ignored; return;
  }
}

void Node::learn(Instant now, const wire::PeerRecord& record, bool punch_now) {
  if (record.address == self_.address() || root_index(record.address)) return;
  auto id = peer::verify_identity(config_.verifier, record.address, record.signing_key,
                                  record.agreement_key);
  if (!id || !sessions_.add_peer(*id)) {
    ++stats_.records_rejected;
    return;
  }
  PeerInfo& p = info(record.address);
  p.known = true;
  for (const auto& e : record.endpoints) p.paths.add_candidate(now, e);
  p.lookup_started.reset();
  std::erase_if(lookups_, [&](const auto& kv) { return kv.second == record.address; });
  while (!p.waiting.empty()) {
    const Bytes m = std::move(p.waiting.front());
    p.waiting.pop_front();
    send_frame_inner(now, record.address, p, m);
  }
  if (punch_now) punch(now, record.address);
}

void Node::punch(Instant now, NodeId peer) {
  PeerInfo& p = info(peer);
  std::vector<peer::ProbeRequest> probes;
  (void)p.paths.poll(now, next_probe_id_, probes);
  for (const auto& pr : probes) send_probe(now, peer, p, pr.endpoint, pr.id);
}

void Node::send_probe(Instant now, NodeId peer, PeerInfo& p, const wire::Endpoint& to,
                      std::uint64_t id) {
  std::vector<peer::Outgoing> out;
  if (!sessions_.has_session(peer)) {
    // The handshake itself is the punch: send_to_peer sends the initiation to
    // every unconfirmed candidate.
    (void)sessions_.initiate(now, peer, out);
    route_out(now, out, std::nullopt, std::nullopt);
    return;
  }
  const Bytes probe = emit_bytes(wire::Probe{false, id});
  (void)sessions_.send(now, peer, probe, out);
  for (auto& o : out) {
    if (o.peer && type_of(o.datagram) == wire::MessageType::data) {
      ++stats_.probes_sent;
      emit(to, o.datagram, &p.traffic);
    } else if (o.peer) {
      send_to_peer(now, *o.peer, o.datagram);
    }
  }
}

// ---- sending ----

Result<void> Node::send_frame(Instant now, NodeId peer, ByteSpan frame) {
  if (frame.empty()) return Error::invalid_argument;
  if (frame.size() + wire::FrameHeader::buffer_len() > wire::kMaxInnerMessage)
    return Error::too_large;
  if (peer == self_.address()) return Error::invalid_argument;
  const auto build = [&](Bytes& inner) {
    inner.resize(wire::FrameHeader::buffer_len() + frame.size());
    wire::FrameHeader::emit(inner);
    std::copy(frame.begin(), frame.end(), inner.begin() + wire::FrameHeader::buffer_len());
  };
  if (PeerInfo& p = info(peer); p.known) {
    // Sealed (or copied into the session's queue) at once: the inner message
    // is built in a buffer kept for it.
    build(inner_);
    send_frame_inner(now, peer, p, inner_);
    return {};
  }
  Bytes inner;
  build(inner);
  return send_or_wait(now, peer, std::move(inner));
}

Result<void> Node::send_or_wait(Instant now, NodeId peer, Bytes inner) {
  PeerInfo& p = info(peer);
  if (!p.known) {
    if (p.waiting.size() >= config_.max_waiting_frames) {
      ++stats_.frames_dropped_waiting;
      return Error::no_buffer;
    }
    p.waiting.push_back(std::move(inner));
    if (!p.lookup_started) start_lookup(now, peer);
    return {};
  }
  send_frame_inner(now, peer, p, inner);
  return {};
}

void Node::send_inner(Instant now, NodeId peer, ByteSpan inner) {
  (void)sessions_.send(now, peer, inner, out_);  // refusals are counted by the table
  route_out(now, out_, std::nullopt, std::nullopt);
}

void Node::send_frame_inner(Instant now, NodeId peer, PeerInfo& p, ByteSpan inner) {
  if (sessions_.send(now, peer, inner, out_)) {  // refusals are counted by the table
    ++p.traffic.frames_sent;
    p.traffic.frame_bytes_sent += inner.size() - wire::FrameHeader::buffer_len();
  }
  route_out(now, out_, std::nullopt, std::nullopt);
}

void Node::route_out(Instant now, std::vector<peer::Outgoing>& out,
                     const std::optional<wire::Endpoint>& reply_to,
                     std::optional<NodeId> relayed_from, TrafficCounters* reply_counters) {
  for (auto& o : out) {
    const SendOrder order = o.leads ? SendOrder::may_lead : SendOrder::in_turn;
    if (o.peer) {
      send_to_peer(now, *o.peer, o.datagram, order);
    } else if (reply_to) {
      if (relayed_from)
        send_relayed(now, *relayed_from, o.datagram, reply_counters, *reply_to, order);
      else
        emit(*reply_to, o.datagram, reply_counters, order);
    }
    // The host has copied it: the session table seals a later datagram into it.
    sessions_.recycle_datagram(std::move(o.datagram));
  }
  out.clear();
}

void Node::emit(const wire::Endpoint& to, ByteSpan datagram, TrafficCounters* counters,
                SendOrder order) {
  ++stats_.datagrams_sent;
  stats_.bytes_sent += datagram.size();
  if (counters != nullptr) {
    ++counters->datagrams_sent;
    counters->bytes_sent += datagram.size();
  }
  host_.send_datagram(to, datagram, order);
}

void Node::send_to_peer(Instant now, NodeId peer, ByteSpan datagram, SendOrder order) {
  if (auto ri = root_index(peer)) {
    emit(roots_[*ri].entry.endpoints.front(), datagram, &roots_[*ri].traffic, order);
    return;
  }
  PeerInfo& p = info(peer);
  const auto best = p.paths.select(now);
  report_route(now, peer, p);
  if (best) {
    p.paths.used(now, *best);
    ++stats_.direct_sent;
    emit(*best, datagram, &p.traffic, order);
    return;
  }
  if (type_of(datagram) == wire::MessageType::initiation) {
    // No path yet: punch at every candidate and try the relay too; whichever
    // answers first carries the handshake (a second copy is a replay, dropped).
    for (const auto& e : p.paths.unconfirmed(now)) emit(e, datagram, &p.traffic);
  }
  send_relayed(now, peer, datagram, &p.traffic, std::nullopt, order);
}

void Node::send_relayed(Instant now, NodeId peer, ByteSpan datagram, TrafficCounters* counters,
                        std::optional<wire::Endpoint> via, SendOrder order) {
  if (!via) {
    auto ri = relay_root(now);
    if (!ri) {
      ++stats_.frames_dropped_no_route;
      return;
    }
    via = roots_[*ri].entry.endpoints.front();
  }
  if (type_of(datagram) == wire::MessageType::relay) return;  // never nest relays
  Bytes b(wire::RelayHeader::buffer_len() + datagram.size());
  wire::RelayHeader{peer, self_.address()}.emit(b);
  std::copy(datagram.begin(), datagram.end(), b.begin() + wire::RelayHeader::buffer_len());
  ++stats_.relayed_sent;
  emit(*via, b, counters, order);
}

void Node::report_route(Instant now, NodeId peer, PeerInfo& p) {
  const auto best = p.paths.select(now);
  Route r;
  if (best) {
    r = Route{Route::Kind::direct, best};
  } else if (auto ri = relay_root(now); ri && p.known) {
    r = Route{Route::Kind::relay, roots_[*ri].entry.endpoints.front()};
  }
  if (r.kind == p.reported && r.endpoint == p.reported_endpoint) return;
  p.reported = r.kind;
  p.reported_endpoint = r.endpoint;
  if (r.kind == Route::Kind::direct)
    host_.on_event({NodeEvent::Kind::path_direct, peer, r.endpoint});
  else if (r.kind == Route::Kind::relay)
    host_.on_event({NodeEvent::Kind::path_relayed, peer, r.endpoint});
}

// ---- the root client ----

void Node::register_with(Instant now, std::size_t i) {
  wire::Registration reg{
      std::max<std::uint64_t>(
          static_cast<std::uint64_t>(config_.sessions.timestamp_offset_ns + now.nanos()),
          last_registration_ts_ + 1),
      wire::PeerRecord{self_.address(),
                       self_.public_identity().signing_key(),
                       self_.public_identity().agreement_key(),
                       {}},
      {}};
  last_registration_ts_ = reg.timestamp;
  const NodeId root = roots_[i].entry.identity.address();
  roots_[i].timed_registration =
      sessions_.has_session(root) ? std::optional(reg.timestamp) : std::nullopt;
  for (const auto& e : config_.local_endpoints) {
    if (reg.record.endpoints.size() + 1 >= wire::PeerRecord::kMaxEndpoints) break;
    reg.record.endpoints.push_back(e);
  }
  reg.signature = self_.sign(reg.signing_input());
  roots_[i].last_register = now;
  send_inner(now, root, emit_bytes(reg));
}

void Node::start_lookup(Instant now, NodeId peer) {
  PeerInfo& p = info(peer);
  if (!p.lookup_started) p.lookup_started = now;
  p.last_lookup = now;
  if (lookups_.size() >= config_.max_lookups) lookups_.erase(lookups_.begin());
  const std::uint32_t req = next_request_++;
  lookups_.emplace(req, peer);
  const Bytes m = emit_bytes(wire::Lookup{req, peer});
  bool any = false;
  for (const auto& r : roots_) {
    if (!root_alive(now, r)) continue;
    send_inner(now, r.entry.identity.address(), m);
    any = true;
  }
  if (!any)  // nobody acknowledged yet (start-up): ask them all
    for (const auto& r : roots_) send_inner(now, r.entry.identity.address(), m);
  ++stats_.lookups_sent;
}

Instant Node::tick(Instant now) {
  std::vector<peer::Outgoing> out;
  Instant next = sessions_.poll(now, out);
  route_out(now, out, std::nullopt, std::nullopt);
  const auto at = [&next](Instant t) { next = std::min(next, t); };

  for (std::size_t i = 0; i < roots_.size(); ++i) {
    RootState& r = roots_[i];
    const bool alive = root_alive(now, r);
    if (r.announced && !alive) {
      r.announced = false;
      host_.on_event({NodeEvent::Kind::root_lost, r.entry.identity.address(), std::nullopt});
    }
    const Duration interval = alive ? config_.register_interval : config_.register_retry;
    if (now >= r.last_register + interval) register_with(now, i);
    at(r.last_register + interval);
    if (alive) at(*r.last_ack + config_.root_timeout);
  }

  for (auto& [id, net] : networks_) {
    if (now >= net.next_request) request_config(now, net);
    at(net.next_request);
  }
  send_pushes(now);

  for (auto& [id, p] : peers_) {
    if (p.lookup_started) {
      if (now - *p.lookup_started >= config_.lookup_timeout) {
        p.lookup_started.reset();
        ++stats_.lookups_failed;
        stats_.frames_dropped_waiting += p.waiting.size();
        p.waiting.clear();
        const NodeId gone = id;
        std::erase_if(lookups_, [&](const auto& kv) { return kv.second == gone; });
        host_.on_event({NodeEvent::Kind::peer_unreachable, id, std::nullopt});
      } else {
        if (now >= p.last_lookup + config_.lookup_retry) start_lookup(now, id);
        at(p.last_lookup + config_.lookup_retry);
        at(*p.lookup_started + config_.lookup_timeout);
      }
    }
    if (!p.known) continue;
    std::vector<peer::ProbeRequest> probes;
    at(p.paths.poll(now, next_probe_id_, probes));
    for (const auto& pr : probes) send_probe(now, id, p, pr.endpoint, pr.id);
    report_route(now, id, p);
    if (p.reported != Route::Kind::direct && sessions_.has_session(id) && !p.lookup_started) {
      // Relayed: ask the roots again now and then, which makes them send the
      // peer a rendezvous, so both punch again (a NAT may have changed).
      if (now >= p.last_lookup + config_.relay_rendezvous_interval) {
        start_lookup(now, id);
        p.lookup_started.reset();  // a refresh, not a search: no timeout
      }
      at(p.last_lookup + config_.relay_rendezvous_interval);
    }
  }
  return next;
}

}  // namespace weft::node
