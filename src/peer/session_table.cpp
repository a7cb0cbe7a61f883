#include "peer/session_table.hpp"

#include <algorithm>

#include "peer/fragmenter.hpp"
#include "wire/cookie_reply.hpp"
#include "wire/data.hpp"
#include "wire/fragment.hpp"
#include "wire/header.hpp"
#include "wire/initiation.hpp"
#include "wire/inner.hpp"
#include "wire/relay.hpp"
#include "wire/response.hpp"

namespace weft::peer {

using crypto::NoiseIk;

namespace {

template <std::size_t N>
ByteArray<N> copy_of(std::span<const std::byte, N> s) {
  ByteArray<N> a{};
  std::copy(s.begin(), s.end(), a.begin());
  return a;
}

}  // namespace

SessionTable::SessionTable(const crypto::Identity& self, crypto::Rng& rng,
                           SessionTableConfig config)
    : self_(self),
      rng_(rng),
      config_(config),
      cookie_checker_(self.public_identity(), rng),
      load_(config.load_threshold, config.load_interval),
      reassembler_(config.reassembly) {}

Result<void> SessionTable::add_peer(const crypto::PublicIdentity& peer) {
  auto it = peers_.find(peer.address());
  if (it != peers_.end()) {
    return it->second.identity == peer ? Result<void>{} : Result<void>{Error::already_exists};
  }
  peers_.emplace(peer.address(), PeerState{peer});
  by_agreement_key_.insert_or_assign(peer.agreement_key(), peer.address());
  return {};
}

bool SessionTable::has_session(NodeId peer) const {
  auto it = peers_.find(peer);
  return it != peers_.end() && it->second.current.has_value();
}

const crypto::PublicIdentity* SessionTable::peer_identity(NodeId peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? nullptr : &it->second.identity;
}

std::uint32_t SessionTable::current_index(NodeId peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end() || !it->second.current) return 0;
  return it->second.current->local_index();
}

std::uint64_t SessionTable::timestamp(Instant now) const noexcept {
  const auto wall = static_cast<std::uint64_t>(config_.timestamp_offset_ns + now.nanos());
  return std::max(wall, last_timestamp_sent_ + 1);
}

std::uint32_t SessionTable::new_index(NodeId owner) {
  while (true) {
    const std::uint32_t v = rng_.next_u32();
    if (v != 0 && indices_.emplace(v, owner).second) return v;
  }
}

bool SessionTable::answering(Instant now, const PeerState& p) const {
  // We answered the peer's handshake and wait for its first data, which makes
  // that session current: starting our own now would cross it.
  return p.next.has_value() && now - p.next->created() < config_.limits.rekey_timeout;
}

bool SessionTable::usable(const std::optional<Session>& s, Instant now) const {
  return s.has_value() && !s->expired(now, config_.limits);
}

void SessionTable::drop_session(std::optional<Session>& s) {
  if (!s) return;
  indices_.erase(s->local_index());
  s.reset();
}

void SessionTable::install_current(Instant now, PeerState& p, Session s) {
  if (p.current) {
    drop_session(p.previous);
    p.previous = std::move(p.current);
    p.previous_until = now + config_.limits.previous_grace;
  }
  p.current = std::move(s);
}

// ---- sending ----

Result<void> SessionTable::initiate(Instant now, NodeId peer, std::vector<Outgoing>& out) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return Error::not_found;
  if (!it->second.pending) {
    it->second.attempt_started = now;
    send_initiation(now, peer, it->second, out);
  }
  return {};
}

void SessionTable::send_initiation(Instant now, NodeId id, PeerState& p,
                                   std::vector<Outgoing>& out) {
  if (p.pending) indices_.erase(p.pending->index);
  p.pending.reset();
  const std::uint32_t index = new_index(id);
  crypto::InitiationPayload payload;
  const std::uint64_t ts = timestamp(now);
  auto state = NoiseIk::initiate(self_, p.identity, rng_.bytes<32>(), ts, payload);
  if (!state) {  // only a low-order agreement key, which a verified identity never has
    indices_.erase(index);
    return;
  }
  last_timestamp_sent_ = ts;
  const wire::Initiation m{
      index, payload.ephemeral, payload.encrypted_static, payload.encrypted_timestamp, {}, {}};
  Bytes b(wire::Initiation::buffer_len());
  m.emit(b);
  const MutableByteSpan mb(b);
  p.cookies.stamp(now, mb.first(wire::InitiationView::kMac1),
                  mb.subspan<wire::InitiationView::kMac1, 16>(),
                  mb.subspan<wire::InitiationView::kMac2, 16>());
  p.pending = Pending{std::move(*state), index, now};
  out.push_back({id, std::move(b)});
}

Result<void> SessionTable::seal_to(Instant now, NodeId id, PeerState& p, ByteSpan inner,
                                   std::vector<Outgoing>& out) {
  if (wire::DataHeader::message_len(inner.size()) <= config_.path_mtu) {
    Bytes datagram = datagram_buffer(wire::DataHeader::message_len(inner.size()));
    WEFT_TRY(p.current->seal(now, inner, datagram, config_.limits));
    out.push_back({id, std::move(datagram)});
    return {};
  }
  auto chunk = Fragmenter::chunk(inner.size(), config_.path_mtu - wire::DataView::kMinSize);
  if (!chunk) return chunk.error();
  const std::uint32_t message_id = p.next_message_id++;
  for (std::size_t at = 0; at < inner.size(); at += *chunk) {
    // Each fragment is built where its ciphertext goes and sealed in place:
    // one buffer per datagram, no copy of the fragment.
    const std::size_t plain = Fragmenter::fragment_size(inner.size(), *chunk, at);
    Bytes datagram = datagram_buffer(wire::DataHeader::message_len(plain));
    const MutableByteSpan body =
        MutableByteSpan(datagram).subspan(wire::DataView::kHeaderSize, plain);
    Fragmenter::emit(inner, message_id, *chunk, at, body);
    WEFT_TRY(p.current->seal(now, body, datagram, config_.limits));
    out.push_back({id, std::move(datagram), at + *chunk < inner.size()});
  }
  return {};
}

Result<void> SessionTable::send(Instant now, NodeId peer, ByteSpan inner,
                                std::vector<Outgoing>& out) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return Error::not_found;
  PeerState& p = it->second;
  if (inner.size() > wire::kMaxInnerMessage) return Error::too_large;
  if (usable(p.current, now)) {
    // Rekey before the session runs out, while it still carries traffic: on
    // volume either side, on time the initiator first (the responder waits a
    // rekey timeout longer, so both rarely start at once).
    const Session& s = *p.current;
    const bool on_volume = s.next_send_counter() >= config_.limits.rekey_after_messages;
    const Duration age_limit = config_.limits.rekey_after_time +
                               (s.initiator() ? Duration{0} : config_.limits.rekey_timeout);
    if (!p.pending && (on_volume || now - s.created() >= age_limit)) {
      p.attempt_started = now;
      send_initiation(now, peer, p, out);
    }
    return seal_to(now, peer, p, inner, out);
  }
  if (p.queue.size() >= config_.max_queued_per_peer) {
    ++stats_.queue_dropped;
    return Error::no_buffer;
  }
  p.queue.push_back(Bytes(inner.begin(), inner.end()));
  if (!p.pending && !answering(now, p)) {
    p.attempt_started = now;
    send_initiation(now, peer, p, out);
  }
  return {};
}

void SessionTable::flush_queue(Instant now, NodeId id, PeerState& p, std::vector<Outgoing>& out) {
  while (!p.queue.empty() && usable(p.current, now)) {
    const Bytes m = std::move(p.queue.front());
    p.queue.pop_front();
    if (!seal_to(now, id, p, m, out)) ++stats_.queue_dropped;
  }
}

// ---- receiving ----

Result<Received> SessionTable::receive(Instant now, const wire::Endpoint& from, ByteSpan datagram,
                                       std::vector<Outgoing>& out) {
  auto header = wire::Header::parse(datagram);
  if (!header) {
    ++stats_.malformed;
    return header.error();
  }
  switch (header->type) {
    case wire::MessageType::initiation: return receive_initiation(now, from, datagram, out);
    case wire::MessageType::response: return receive_response(now, from, datagram, out);
    case wire::MessageType::cookie_reply: return receive_cookie_reply(now, datagram);
    case wire::MessageType::data: return receive_data(now, datagram, out);
    case wire::MessageType::relay: {
      // A root forwarded this; the payload is protected end to end as if it had
      // come directly. Replies go back the way it came (to `from`, the root).
      auto relay = wire::RelayView::parse(datagram);
      if (!relay) {
        ++stats_.malformed;
        return relay.error();
      }
      if (relay->destination() != self_.address()) {
        ++stats_.malformed;
        return Error::not_found;
      }
      return receive(now, from, relay->payload(), out);
    }
  }
  WEFT_UNREACHABLE();
}

bool SessionTable::admit_handshake(Instant now, const wire::Endpoint& from,
                                   std::uint32_t sender_index, std::span<const std::byte, 16> mac1,
                                   ByteSpan mac2_input, std::span<const std::byte, 16> mac2,
                                   std::vector<Outgoing>& out) {
  if (!load_.record(now)) return true;
  if (cookie_checker_.mac2_valid(now, from, mac2_input, mac2)) return true;
  const wire::CookieReply reply = cookie_checker_.make_reply(now, from, sender_index, mac1);
  Bytes b(wire::CookieReply::buffer_len());
  reply.emit(b);
  out.push_back({std::nullopt, std::move(b)});
  ++stats_.cookie_replies_sent;
  return false;
}

Result<NodeId> SessionTable::identify_initiator(const NoiseIk::Consumed& c) {
  if (auto known = by_agreement_key_.find(c.peer_agreement_key); known != by_agreement_key_.end()) {
    // The session binds to both keys: the same agreement key with another
    // signing key is not the same node.
    if (peers_.at(known->second).identity.signing_key() != c.peer_signing_key) {
      ++stats_.peers_rejected;
      return Error::verification_failed;
    }
    return known->second;
  }
  if (!config_.accept_unknown_peers || peers_.size() >= config_.max_peers) {
    ++stats_.peers_rejected;
    return Error::not_authorized;
  }
  ++stats_.address_checks;
  auto identity = config_.verifier != nullptr
                      ? config_.verifier->verify(c.peer_signing_key, c.peer_agreement_key)
                      : crypto::PublicIdentity::from_keys(c.peer_signing_key, c.peer_agreement_key);
  if (!identity || peers_.contains(identity->address())) {
    ++stats_.peers_rejected;
    return Error::verification_failed;
  }
  WEFT_TRY(add_peer(*identity));
  return identity->address();
}

Result<Received> SessionTable::receive_initiation(Instant now, const wire::Endpoint& from,
                                                  ByteSpan d, std::vector<Outgoing>& out) {
  auto v = wire::InitiationView::parse(d);
  if (!v) {
    ++stats_.malformed;
    return v.error();
  }
  if (!cookie_checker_.mac1_valid(v->mac1_input(), v->mac1())) {
    ++stats_.mac_rejected;
    return Error::verification_failed;
  }
  if (!admit_handshake(now, from, v->sender_index(), v->mac1(), v->mac2_input(), v->mac2(), out))
    return Received{};
  ++stats_.initiations_received;

  const crypto::InitiationPayload payload{copy_of(v->ephemeral()), copy_of(v->encrypted_static()),
                                          copy_of(v->encrypted_timestamp())};
  auto consumed = NoiseIk::consume_initiation(self_, payload);
  if (!consumed) {
    ++stats_.handshake_rejected;
    return consumed.error();
  }
  auto id = identify_initiator(*consumed);
  if (!id) return id.error();
  PeerState& p = peers_.at(*id);
  // A replayed initiation would otherwise replace the session being set up.
  if (consumed->timestamp <= p.last_timestamp) {
    ++stats_.initiations_replayed;
    return Error::replayed;
  }

  // Crossed initiations (both sides started at once, as a rendezvous makes
  // them): each would confirm the other's session and send on it while the
  // other had moved it to `previous`. The lower address's handshake wins; the
  // higher abandons its own and answers.
  if (p.pending) {
    if (self_.address() < *id) {
      ++stats_.initiations_crossed;
      return Error::already_exists;
    }
    indices_.erase(p.pending->index);
    p.pending.reset();
  }

  crypto::ResponsePayload rp;
  auto keys = NoiseIk::respond(*consumed, rng_.bytes<32>(), rp);
  if (!keys) {
    ++stats_.handshake_rejected;
    return keys.error();
  }
  const std::uint32_t index = new_index(*id);
  auto session = Session::create(*keys, index, v->sender_index(), false, now);
  if (!session) {
    indices_.erase(index);
    return session.error();
  }
  p.last_timestamp = consumed->timestamp;
  drop_session(p.next);
  p.next = std::move(*session);

  const wire::Response r{index, v->sender_index(), rp.ephemeral, rp.encrypted_empty, {}, {}};
  Bytes b(wire::Response::buffer_len());
  r.emit(b);
  const MutableByteSpan mb(b);
  p.cookies.stamp(now, mb.first(wire::ResponseView::kMac1),
                  mb.subspan<wire::ResponseView::kMac1, 16>(),
                  mb.subspan<wire::ResponseView::kMac2, 16>());
  out.push_back({std::nullopt, std::move(b)});
  ++stats_.handshakes_completed;
  return Received{Received::Kind::handshake, *id, {}};
}

Result<Received> SessionTable::receive_response(Instant now, const wire::Endpoint& from, ByteSpan d,
                                                std::vector<Outgoing>& out) {
  auto v = wire::ResponseView::parse(d);
  if (!v) {
    ++stats_.malformed;
    return v.error();
  }
  if (!cookie_checker_.mac1_valid(v->mac1_input(), v->mac1())) {
    ++stats_.mac_rejected;
    return Error::verification_failed;
  }
  if (!admit_handshake(now, from, v->sender_index(), v->mac1(), v->mac2_input(), v->mac2(), out))
    return Received{};
  ++stats_.responses_received;
  auto owner = indices_.find(v->receiver_index());
  if (owner == indices_.end()) {
    ++stats_.unknown_index;
    return Error::not_found;
  }
  const NodeId id = owner->second;
  PeerState& p = peers_.at(id);
  if (!p.pending || p.pending->index != v->receiver_index()) {
    ++stats_.unknown_index;
    return Error::not_found;
  }
  const crypto::ResponsePayload payload{copy_of(v->ephemeral()), copy_of(v->encrypted_empty())};
  auto keys = NoiseIk::consume_response(self_, p.pending->state, payload);
  if (!keys) {
    ++stats_.handshake_rejected;
    return keys.error();
  }
  auto session = Session::create(*keys, p.pending->index, v->sender_index(), true, now);
  if (!session) return session.error();
  p.pending.reset();  // its index now names the session
  install_current(now, p, std::move(*session));
  ++stats_.handshakes_completed;

  const std::size_t before = out.size();
  flush_queue(now, id, p, out);
  // The responder uses the session only once it has heard from us on it.
  if (out.size() == before) {
    auto keepalive = p.current->seal(now, {}, config_.limits);
    if (keepalive) out.push_back({id, std::move(*keepalive)});
  }
  return Received{Received::Kind::handshake, id, {}, true};
}

Result<Received> SessionTable::receive_cookie_reply(Instant now, ByteSpan d) {
  auto v = wire::CookieReplyView::parse(d);
  if (!v) {
    ++stats_.malformed;
    return v.error();
  }
  auto owner = indices_.find(v->receiver_index());
  if (owner == indices_.end()) {
    ++stats_.unknown_index;
    return Error::not_found;
  }
  PeerState& p = peers_.at(owner->second);
  if (!p.pending || p.pending->index != v->receiver_index()) {
    ++stats_.unknown_index;
    return Error::not_found;
  }
  if (auto r = p.cookies.accept_reply(now, *v); !r) {
    ++stats_.mac_rejected;
    return r.error();
  }
  // The initiation is sent again, with mac2, when its retry timer fires: an
  // immediate resend would let a forged reply storm trigger handshakes.
  ++stats_.cookie_replies_received;
  return Received{Received::Kind::none, owner->second, {}};
}

Result<Received> SessionTable::receive_data(Instant now, ByteSpan d, std::vector<Outgoing>& out) {
  auto v = wire::DataView::parse(d);
  if (!v) {
    ++stats_.malformed;
    return v.error();
  }
  auto owner = indices_.find(v->receiver_index());
  if (owner == indices_.end()) {
    ++stats_.unknown_index;
    return Error::not_found;
  }
  const NodeId id = owner->second;
  PeerState& p = peers_.at(id);
  std::optional<Session>* slot = nullptr;
  for (auto* s : {&p.current, &p.next, &p.previous})
    if (*s && (*s)->local_index() == v->receiver_index()) slot = s;
  if (slot == nullptr) {
    ++stats_.unknown_index;
    return Error::not_found;
  }
  if (slot == &p.previous && now >= p.previous_until) {
    ++stats_.data_expired;
    return Error::expired;
  }
  // Decrypted into the spare buffer if there is one (a fragment's plaintext
  // goes back to it, a whole message may come back through recycle()).
  Bytes plain = std::move(spare_);
  plain.resize(v->plaintext_len());
  if (auto r = (*slot)->open(now, *v, plain, config_.limits); !r) {
    spare_ = std::move(plain);
    if (r.error() == Error::replayed)
      ++stats_.data_replayed;
    else if (r.error() == Error::expired)
      ++stats_.data_expired;
    else
      ++stats_.data_rejected;
    return r.error();
  }
  ++stats_.data_received;
  if (slot == &p.next) {
    // The initiator's first packet on the new session confirms its keys.
    install_current(now, p, std::move(*p.next));
    p.next.reset();
    flush_queue(now, id, p, out);
    auto r = deliver(now, id, std::move(plain));
    if (r) r->new_session = true;
    return r;
  }
  return deliver(now, id, std::move(plain));
}

Result<Received> SessionTable::deliver(Instant now, NodeId peer, Bytes&& plaintext) {
  auto type = wire::inner_type(plaintext);
  if (!type) {
    ++stats_.malformed;
    return type.error();
  }
  if (*type == wire::InnerType::keepalive) {
    spare_ = std::move(plaintext);
    return Received{Received::Kind::keepalive, peer, {}};
  }
  if (*type != wire::InnerType::fragment)
    return Received{Received::Kind::message, peer, std::move(plaintext)};
  auto f = wire::FragmentView::parse(plaintext);
  if (!f) {
    ++stats_.fragments_rejected;
    return f.error();
  }
  auto whole = reassembler_.add(now, peer.value(), *f);
  spare_ = std::move(plaintext);  // copied into the reassembly (f is done with)
  if (!whole) {
    ++stats_.fragments_rejected;
    return whole.error();
  }
  if (!whole->has_value()) return Received{Received::Kind::none, peer, {}};
  // A reassembled message is a whole inner message, never another fragment.
  auto inner = wire::inner_type(**whole);
  if (!inner || *inner == wire::InnerType::fragment) {
    ++stats_.fragments_rejected;
    return Error::malformed;
  }
  return Received{Received::Kind::message, peer, std::move(**whole)};
}

Bytes SessionTable::datagram_buffer(std::size_t size) {
  Bytes b;
  if (!datagram_spares_.empty() && size <= kMaxDatagramSpare) {
    b = std::move(datagram_spares_.back());
    datagram_spares_.pop_back();
  }
  b.resize(size);
  return b;
}

void SessionTable::recycle_datagram(Bytes&& datagram) {
  if (datagram.capacity() == 0 || datagram.capacity() > kMaxDatagramSpare ||
      datagram_spares_.size() >= kMaxDatagramSpares)
    return;
  datagram.clear();
  datagram_spares_.push_back(std::move(datagram));
}

void SessionTable::recycle(Bytes&& buffer) {
  if (spare_.capacity() == 0)
    spare_ = std::move(buffer);
  else
    reassembler_.recycle(std::move(buffer));
}

// ---- timers ----

Instant SessionTable::poll(Instant now, std::vector<Outgoing>& out) {
  const SessionLimits& lim = config_.limits;
  reassembler_.expire(now);
  Instant next = reassembler_.deadline();
  const auto at = [&next](Instant t) { next = std::min(next, t); };

  for (auto& [id, p] : peers_) {
    if (p.previous && (now >= p.previous_until || p.previous->expired(now, lim)))
      drop_session(p.previous);
    if (p.next && p.next->expired(now, lim)) drop_session(p.next);
    if (p.current && p.current->expired(now, lim)) drop_session(p.current);

    if (p.pending) {
      if (now - p.attempt_started >= lim.rekey_attempt_time) {
        indices_.erase(p.pending->index);
        p.pending.reset();
        stats_.queue_dropped += p.queue.size();
        p.queue.clear();
      } else if (now - p.pending->sent >= lim.rekey_timeout) {
        send_initiation(now, id, p, out);
      }
    } else if (!p.queue.empty() && !p.current && !answering(now, p)) {
      p.attempt_started = now;
      send_initiation(now, id, p, out);
    }

    if (p.current) {
      Session& s = *p.current;
      // Rekey on time while traffic flows; an idle session is left to expire.
      const Instant rekey_at =
          s.created() + lim.rekey_after_time + (s.initiator() ? Duration{0} : lim.rekey_timeout);
      const bool active = s.last_sent() + lim.keepalive_timeout > now;
      if (!p.pending && active && now >= rekey_at) {
        p.attempt_started = now;
        send_initiation(now, id, p, out);
      } else if (!p.pending && active) {
        at(rekey_at);
      }
      // Passive keepalive: we heard from the peer and have not answered.
      if (s.received() > 0 && s.last_received() > s.last_sent()) {
        const Instant due = s.last_received() + lim.keepalive_timeout;
        if (now >= due) {
          if (auto k = s.seal(now, {}, lim)) out.push_back({id, std::move(*k)});
        } else {
          at(due);
        }
      }
      at(s.created() + lim.reject_after_time);
    }
    if (p.pending) {
      at(p.pending->sent + lim.rekey_timeout);
      at(p.attempt_started + lim.rekey_attempt_time);
    }
    if (p.previous) at(p.previous_until);
    if (p.next) at(p.next->created() + lim.reject_after_time);
  }
  return next;
}

}  // namespace weft::peer
