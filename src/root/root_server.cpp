#include "root/root_server.hpp"

#include <algorithm>

#include "wire/header.hpp"
#include "wire/inner.hpp"
#include "wire/lookup.hpp"
#include "wire/lookup_reply.hpp"
#include "wire/probe.hpp"
#include "wire/registration.hpp"
#include "wire/registration_ack.hpp"
#include "wire/relay.hpp"
#include "wire/rendezvous.hpp"

namespace weft::root {

namespace {

using wire::emit_bytes;

}  // namespace

RootServer::RootServer(const crypto::Identity& self, crypto::Rng& rng, RootServerConfig config)
    : self_(self), config_(config), sessions_(self, rng, config.sessions) {}

const RootServer::Registered* RootServer::live(Instant now, NodeId address) const {
  auto it = registry_.find(address);
  if (it == registry_.end() || now >= it->second.expires) return nullptr;
  return &it->second;
}

std::optional<wire::PeerRecord> RootServer::lookup(Instant now, NodeId address) const {
  const Registered* r = live(now, address);
  if (r == nullptr) return std::nullopt;
  wire::PeerRecord rec = r->record;
  rec.endpoints.clear();
  rec.endpoints.push_back(r->observed);
  for (const auto& e : r->record.endpoints) {
    if (rec.endpoints.size() >= wire::PeerRecord::kMaxEndpoints) break;
    if (e != r->observed) rec.endpoints.push_back(e);
  }
  return rec;
}

void RootServer::route(const wire::Endpoint& reply_to, std::vector<peer::Outgoing>& sealed,
                       std::vector<RootOutput>& out) {
  for (auto& o : sealed) {
    if (!o.peer) {
      out.push_back({reply_to, std::move(o.datagram)});
      continue;
    }
    auto it = last_endpoint_.find(*o.peer);
    if (it != last_endpoint_.end()) out.push_back({it->second, std::move(o.datagram)});
  }
  sealed.clear();
}

void RootServer::send_to(Instant now, NodeId peer, ByteSpan inner, std::vector<RootOutput>& out) {
  std::vector<peer::Outgoing> sealed;
  (void)sessions_.send(now, peer, inner, sealed);  // failures are counted by the table
  route({}, sealed, out);
}

void RootServer::process_datagram(Instant now, const wire::Endpoint& from, ByteSpan datagram,
                                  std::vector<RootOutput>& out) {
  auto header = wire::Header::parse(datagram);
  if (header && header->type == wire::MessageType::relay) {
    relay(now, from, datagram, out);
    return;
  }
  std::vector<peer::Outgoing> sealed;
  auto r = sessions_.receive(now, from, datagram, sealed);
  if (!r) {
    ++stats_.datagrams_dropped;
    route(from, sealed, out);
    return;
  }
  if (r->peer &&
      (r->kind == peer::Received::Kind::message || r->kind == peer::Received::Kind::keepalive)) {
    // Decrypted under the session: the peer is at `from` now.
    last_endpoint_.insert_or_assign(*r->peer, from);
  }
  route(from, sealed, out);
  if (r->kind == peer::Received::Kind::message && r->peer)
    handle_message(now, from, *r->peer, r->message, out);
}

void RootServer::handle_message(Instant now, const wire::Endpoint& from, NodeId peer,
                                ByteSpan message, std::vector<RootOutput>& out) {
  auto type = wire::inner_type(message);
  if (!type) {
    ++stats_.messages_malformed;
    return;
  }
  switch (*type) {
    case wire::InnerType::registration: handle_registration(now, from, peer, message, out); return;
    case wire::InnerType::lookup: handle_lookup(now, peer, message, out); return;
    case wire::InnerType::probe: {
      // Nodes probe the root like any peer; answering keeps their NAT mapping.
      auto p = wire::Probe::parse(message);
      if (!p || p->reply) {
        ++stats_.messages_malformed;
        return;
      }
      const wire::Probe reply{true, p->id};
      send_to(now, peer, emit_bytes(reply), out);
      return;
    }
    default: ++stats_.messages_ignored; return;
  }
}

void RootServer::handle_registration(Instant now, const wire::Endpoint& from, NodeId peer,
                                     ByteSpan m, std::vector<RootOutput>& out) {
  auto reg = wire::Registration::parse(m);
  if (!reg) {
    ++stats_.messages_malformed;
    return;
  }
  // The session already proved the sender holds these keys, and the table
  // checked that they derive the peer's address; the record must name the
  // same address and keys, and carry the owner's signature.
  const crypto::PublicIdentity* id = sessions_.peer_identity(peer);
  if (id == nullptr || reg->record.address != peer ||
      reg->record.signing_key != id->signing_key() ||
      reg->record.agreement_key != id->agreement_key() ||
      !id->verify(reg->signing_input(), reg->signature)) {
    ++stats_.registrations_rejected;
    return;
  }
  auto it = registry_.find(peer);
  if (it != registry_.end() && reg->timestamp <= it->second.timestamp) {
    ++stats_.registrations_replayed;
    return;
  }
  if (it == registry_.end()) {
    if (registry_.size() >= config_.max_registrations) {
      ++stats_.registrations_full;
      return;
    }
    it = registry_
             .emplace(peer, Registered{reg->record, from, 0, now,
                                       static_cast<double>(config_.relay_burst), now})
             .first;
  }
  Registered& r = it->second;
  r.record = std::move(reg->record);
  r.observed = from;
  r.timestamp = reg->timestamp;
  r.expires = now + config_.registration_lifetime;
  ++stats_.registrations_accepted;
  const wire::RegistrationAck ack{r.timestamp, from};
  send_to(now, peer, emit_bytes(ack), out);
}

void RootServer::handle_lookup(Instant now, NodeId peer, ByteSpan m, std::vector<RootOutput>& out) {
  auto l = wire::Lookup::parse(m);
  if (!l) {
    ++stats_.messages_malformed;
    return;
  }
  ++stats_.lookups;
  wire::LookupReply reply{l->request_id, l->address, lookup(now, l->address)};
  if (!reply.record) ++stats_.lookups_not_found;
  send_to(now, peer, emit_bytes(reply), out);
  if (!reply.record) return;
  // Tell the target too, so both sides send at once and both NATs open.
  if (auto requester = lookup(now, peer)) {
    const wire::Rendezvous rv{std::move(*requester)};
    send_to(now, l->address, emit_bytes(rv), out);
    ++stats_.rendezvous_sent;
  }
}

void RootServer::relay(Instant now, const wire::Endpoint& from, ByteSpan datagram,
                       std::vector<RootOutput>& out) {
  auto v = wire::RelayView::parse(datagram);
  if (!v) {
    ++stats_.relay_malformed;
    return;
  }
  auto src = registry_.find(v->source());
  if (src == registry_.end() || now >= src->second.expires || src->second.observed != from) {
    ++stats_.relay_unregistered_source;
    return;
  }
  const Registered* dst = live(now, v->destination());
  if (dst == nullptr) {
    ++stats_.relay_unregistered_destination;
    return;
  }
  Registered& s = src->second;
  const double elapsed = std::chrono::duration<double>(now - s.refilled).count();
  s.tokens =
      std::min<double>(config_.relay_burst, s.tokens + elapsed * config_.relay_packets_per_second);
  s.refilled = now;
  if (s.tokens < 1.0) {
    ++stats_.relay_rate_limited;
    return;
  }
  s.tokens -= 1.0;
  ++stats_.relayed;
  out.push_back({dst->observed, Bytes(datagram.begin(), datagram.end())});
}

Instant RootServer::poll(Instant now, std::vector<RootOutput>& out) {
  std::vector<peer::Outgoing> sealed;
  Instant next = sessions_.poll(now, sealed);
  route({}, sealed, out);
  std::erase_if(registry_, [&](const auto& kv) {
    const bool gone = now >= kv.second.expires;
    if (gone) ++stats_.registrations_expired;
    return gone;
  });
  for (const auto& [id, r] : registry_) next = std::min(next, r.expires);
  return next;
}

}  // namespace weft::root
