// Node: the VL2 side (networks, configs, credentials, frames). docs/vnet.md §6.
#include <algorithm>

#include "node/node.hpp"
#include "wire/frame.hpp"

namespace weft::node {

namespace {

using wire::emit_bytes;

// Refreshing at a third of max_delta keeps our credential within max_delta of
// every other member's even when one refresh is lost (docs/vnet.md §4).
Duration refresh_interval(const wire::MembershipCredential& c) {
  return std::max<Duration>(std::chrono::milliseconds(c.max_delta_ms / 3), 1s);
}

}  // namespace

std::uint64_t Node::wall_ms(Instant now) const {
  const std::int64_t ns = config_.sessions.timestamp_offset_ns + now.nanos();
  return ns > 0 ? static_cast<std::uint64_t>(ns) / 1'000'000U : 0;
}

const vnet::NetworkSwitch* Node::network(NetworkId id) const {
  auto it = networks_.find(id);
  return it == networks_.end() ? nullptr : &it->second.sw;
}

void Node::network_event(NodeEvent::Kind kind, NetworkId id, std::optional<vnet::Address> address) {
  host_.on_event({kind, id.controller(), std::nullopt, id, address});
}

Result<void> Node::join(Instant now, NetworkId id) {
  if (id.controller() == self_.address()) return Error::invalid_argument;
  if (networks_.contains(id)) return {};
  if (networks_.size() >= config_.max_networks) return Error::too_large;
  auto& net =
      networks_.try_emplace(id, id, self_.public_identity(), config_.network_limits).first->second;
  request_config(now, net);
  return {};
}

Result<void> Node::leave(Instant /*now*/, NetworkId id) {
  auto it = networks_.find(id);
  if (it == networks_.end()) return Error::not_found;
  for (const auto& a : it->second.sw.clear())
    network_event(NodeEvent::Kind::address_removed, id, a);
  networks_.erase(it);
  network_event(NodeEvent::Kind::network_left, id);
  return {};
}

void Node::request_config(Instant now, NetworkState& net) {
  const auto& config = net.sw.config();
  send_vl2(now, net.sw.network().controller(),
           emit_bytes(wire::ConfigRequest{net.sw.network(), config ? config->revision : 0}));
  ++stats_.configs_requested;
  const bool refused =
      net.status == NetworkState::Status::denied || net.status == NetworkState::Status::not_found;
  net.next_request = now + (refused ? config_.denied_retry : config_.config_retry);
}

void Node::send_vl2(Instant now, NodeId peer, ByteSpan message) {
  (void)send_frame(now, peer, message);  // a full lookup queue is counted there
}

void Node::present(Instant now, NetworkState& net, NodeId peer, bool want_reply) {
  send_vl2(now, peer, net.sw.presentation(want_reply));
}

void Node::send_on_network(Instant now, NetworkState& net, NodeId peer, ByteSpan frame) {
  // Our credential first whenever it changed since this peer last got it.
  if (net.sw.should_present(now, peer, false)) present(now, net, peer, false);
  Bytes inner(wire::FrameHeader::buffer_len() + wire::NetworkFrameHeader::buffer_len() +
              frame.size());
  wire::FrameHeader::emit(inner);
  wire::NetworkFrameHeader{net.sw.network()}.emit(
      MutableByteSpan(inner).subspan(wire::FrameHeader::buffer_len()));
  std::copy(frame.begin(), frame.end(),
            inner.begin() + static_cast<std::ptrdiff_t>(wire::FrameHeader::buffer_len() +
                                                        wire::NetworkFrameHeader::buffer_len()));
  (void)send_or_wait(now, peer, std::move(inner));
}

std::size_t Node::largest_unfragmented_network_frame() const noexcept {
  constexpr std::size_t kHeaders =
      wire::FrameHeader::buffer_len() + wire::NetworkFrameHeader::buffer_len();
  const std::size_t inner = sessions_.largest_unfragmented();
  return inner > kHeaders ? inner - kHeaders : 0;
}

Result<void> Node::send_network_frame(Instant now, NetworkId id, ByteSpan frame) {
  auto it = networks_.find(id);
  if (it == networks_.end()) return Error::not_found;
  NetworkState& net = it->second;
  vnet::SwitchOutput out;
  WEFT_TRY(net.sw.outbound(now, frame, out));
  for (NodeId p : out.present)
    if (net.sw.should_present(now, p, true)) present(now, net, p, true);
  for (NodeId p : out.send) send_on_network(now, net, p, frame);
  return {};
}

void Node::send_pushes(Instant now) {
  if (!config_.controller) return;
  for (auto& push : config_.controller->take_pushes(wall_ms(now)))
    send_vl2(now, push.to, push.message);
}

Node::NetworkState* Node::joined_from(NodeId peer, NetworkId id) {
  auto it = networks_.find(id);
  if (it == networks_.end() || peer == self_.address()) {
    ++stats_.vl2_ignored;
    return nullptr;
  }
  return &it->second;
}

void Node::handle_vl2(Instant now, NodeId peer, ByteSpan m) {
  auto type = wire::vl2_inner_type(m);
  if (!type) {
    ++stats_.vl2_malformed;
    return;
  }
  switch (*type) {
    case wire::Vl2InnerType::config_request:
    case wire::Vl2InnerType::member_gather:
    case wire::Vl2InnerType::name_query: handle_for_controller(now, peer, m); return;

    case wire::Vl2InnerType::config:
    case wire::Vl2InnerType::config_refusal:
    case wire::Vl2InnerType::member_list:
    case wire::Vl2InnerType::name_answer: {
      // The network id is at the same offset (1..9) in all of them.
      if (m.size() < 10) {
        ++stats_.vl2_malformed;
        return;
      }
      // A config starts with its version byte before the network id.
      const std::size_t at = *type == wire::Vl2InnerType::config ? 2 : 1;
      auto id = NetworkId::from_bytes(m.subspan(at).first<NetworkId::kSize>());
      if (!id) {
        ++stats_.vl2_malformed;
        return;
      }
      NetworkState* net = joined_from(peer, *id);
      if (!net) return;
      if (peer != id->controller()) {  // only the network's controller speaks for it
        ++stats_.vl2_ignored;
        return;
      }
      handle_from_controller(now, peer, *net, m, *type);
      return;
    }

    case wire::Vl2InnerType::revocation: {
      // Signed by the controller, so any member may forward one.
      auto r = wire::RevocationMessage::parse(m);
      if (!r) {
        ++stats_.vl2_malformed;
        return;
      }
      NetworkState* net = joined_from(peer, r->network);
      if (!net) return;
      if (!net->sw.accept_revocation(*r)) ++stats_.vl2_ignored;
      return;
    }

    case wire::Vl2InnerType::credential: {
      auto c = wire::CredentialPresentation::parse(m);
      const crypto::PublicIdentity* id = sessions_.peer_identity(peer);
      if (!c || !id) {
        ++stats_.vl2_malformed;
        return;
      }
      NetworkState* net = joined_from(peer, c->credential.network);
      if (!net) return;
      std::vector<Bytes> released;
      const auto ok = net->sw.accept_credential(now, *id, c->credential, released);
      for (const auto& f : released) send_on_network(now, *net, peer, f);
      if (c->want_reply && net->sw.ready() && net->sw.should_present(now, peer, true))
        present(now, *net, peer,
                net->sw.peer_state(peer) == vnet::NetworkSwitch::PeerState::pending);
      (void)ok;  // the switch counts refusals
      return;
    }

    case wire::Vl2InnerType::network_frame: {
      auto f = wire::NetworkFrameView::parse(m);
      if (!f) {
        ++stats_.vl2_malformed;
        return;
      }
      NetworkState* net = joined_from(peer, f->network());
      if (!net) return;
      auto ok = net->sw.inbound(now, peer, f->frame());
      if (ok) {
        host_.deliver_network_frame(f->network(), f->frame());
        return;
      }
      ++stats_.network_frames_dropped;
      // A member whose credential we lack (or hold stale) is asked for it;
      // a rejected or revoked one is not.
      if ((ok.error() == Error::not_authorized || ok.error() == Error::expired) &&
          net->sw.peer_state(peer) != vnet::NetworkSwitch::PeerState::rejected &&
          net->sw.should_present(now, peer, true))
        present(now, *net, peer, true);
      return;
    }
  }
}

void Node::handle_for_controller(Instant now, NodeId peer, ByteSpan m) {
  const crypto::PublicIdentity* id = sessions_.peer_identity(peer);
  if (!config_.controller || !id) {
    ++stats_.vl2_ignored;
    return;
  }
  auto reply = config_.controller->handle(*id, m, wall_ms(now));
  if (!reply) {
    ++stats_.vl2_ignored;
    return;
  }
  send_vl2(now, peer, *reply);
  send_pushes(now);
}

void Node::handle_from_controller(Instant now, NodeId peer, NetworkState& net, ByteSpan m,
                                  wire::Vl2InnerType type) {
  const NetworkId id = net.sw.network();
  switch (type) {
    case wire::Vl2InnerType::config: {
      auto msg = wire::ConfigMessage::parse(m);
      const crypto::PublicIdentity* controller = sessions_.peer_identity(peer);
      if (!msg || !controller) {
        ++stats_.vl2_malformed;
        return;
      }
      auto change = net.sw.accept_config(msg->config, *controller);
      if (!change) return;  // counted by the switch
      net.status = NetworkState::Status::ready;
      net.next_request = now + refresh_interval(msg->config.credential);
      if (change->first) network_event(NodeEvent::Kind::network_ready, id);
      for (const auto& a : change->removed) network_event(NodeEvent::Kind::address_removed, id, a);
      for (const auto& a : change->added) network_event(NodeEvent::Kind::address_assigned, id, a);
      // Who else is online, for broadcast and multicast.
      send_vl2(now, peer,
               emit_bytes(wire::MemberGather{
                   id, static_cast<std::uint16_t>(std::min<std::size_t>(
                           config_.network_limits.max_fanout, wire::MemberList::kMaxMembers))}));
      return;
    }
    case wire::Vl2InnerType::config_refusal: {
      auto r = wire::ConfigRefusal::parse(m);
      if (!r) {
        ++stats_.vl2_malformed;
        return;
      }
      if (r->reason == wire::RefusalReason::rate_limited) {
        net.next_request = now + config_.denied_retry;
        return;
      }
      const auto status = r->reason == wire::RefusalReason::not_found
                              ? NetworkState::Status::not_found
                              : NetworkState::Status::denied;
      for (const auto& a : net.sw.clear()) network_event(NodeEvent::Kind::address_removed, id, a);
      net.next_request = now + config_.denied_retry;
      if (net.status == status) return;
      net.status = status;
      network_event(status == NetworkState::Status::not_found ? NodeEvent::Kind::network_not_found
                                                              : NodeEvent::Kind::network_denied,
                    id);
      return;
    }
    case wire::Vl2InnerType::member_list: {
      auto list = wire::MemberList::parse(m);
      if (!list) {
        ++stats_.vl2_malformed;
        return;
      }
      vnet::ListedOutput out;
      net.sw.set_members(now, list->members, out);
      for (NodeId p : out.present)
        if (net.sw.should_present(now, p, true)) present(now, net, p, true);
      for (const auto& [p, frame] : out.send) send_on_network(now, net, p, frame);
      return;
    }
    case wire::Vl2InnerType::name_answer: {
      auto answer = wire::NameAnswer::parse(m);
      if (!answer) {
        ++stats_.vl2_malformed;
        return;
      }
      host_.on_name_answer(*answer);
      return;
    }
    default: ++stats_.vl2_ignored; return;
  }
}

Result<void> Node::query_name(Instant now, NetworkId id, std::uint32_t query,
                              std::string_view name) {
  auto it = networks_.find(id);
  if (it == networks_.end()) return Error::not_found;
  if (it->second.status != NetworkState::Status::ready) return Error::invalid_state;
  if (!wire::is_dns_label(name)) return Error::invalid_argument;
  send_vl2(now, id.controller(), emit_bytes(wire::NameQuery{id, query, std::string(name)}));
  return {};
}

}  // namespace weft::node
