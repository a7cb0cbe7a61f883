#include "controller/controller.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "vnet/ula.hpp"

namespace weft::controller {

namespace {

constexpr std::string_view kLog = "controller";
// Bounds the work of one allocation scan and of one admin request.
constexpr std::uint64_t kMaxPoolSize = 1U << 20U;
constexpr std::size_t kMaxPools = 16;

ByteArray<4> to_bytes4(std::uint32_t a) {
  ByteArray<4> out{};
  store_be32(out, a);
  return out;
}
std::uint32_t from_bytes4(const ByteArray<4>& b) { return load_be32(b); }

bool valid_label(std::string_view s) { return s.empty() || wire::is_dns_label(s); }

Result<void> check_settings(const NetworkSettings& s) {
  if (s.name.empty() || s.name.size() > wire::NetworkConfigView::kMaxName ||
      !wire::is_valid_utf8(s.name))
    return Error::invalid_argument;
  if (s.mtu < wire::NetworkConfigView::kMinMtu || s.mtu > wire::NetworkConfigView::kMaxMtu)
    return Error::invalid_argument;
  // Room for a 63-byte member label and its dot in front of the domain.
  if (!wire::is_valid_dns_name(s.dns_domain) ||
      s.dns_domain.size() > wire::NetworkConfigView::kMaxDnsName - 64)
    return Error::invalid_argument;
  if (s.ipv4_pools.size() > kMaxPools) return Error::invalid_argument;
  for (const auto& p : s.ipv4_pools)
    if (p.first > p.last || p.prefix == 0 || p.prefix > 32 ||
        std::uint64_t{p.last} - p.first >= kMaxPoolSize)
      return Error::invalid_argument;
  if (s.routes.size() > wire::NetworkConfigView::kMaxRoutes) return Error::invalid_argument;
  for (const auto& r : s.routes) {
    wire::NetworkConfig probe{.network = NetworkId::make(NodeId::from_u64(1).value(), 1),
                              .member = NodeId::from_u64(1).value(),
                              .credential = {NetworkId::make(NodeId::from_u64(1).value(), 1),
                                             NodeId::from_u64(1).value()}};
    probe.routes = {r};
    if (!probe.valid()) return Error::invalid_argument;
  }
  return {};
}

// Skips a subnet's network and broadcast addresses where the subnet has them.
bool usable(std::uint32_t a, std::uint8_t prefix) {
  if (prefix >= 31) return true;
  const std::uint32_t host_mask = (1U << (32U - prefix)) - 1U;
  const std::uint32_t host = a & host_mask;
  return host != 0 && host != host_mask;
}

}  // namespace

Controller::Controller(crypto::Identity identity, Store store, Limits limits)
    : identity_(std::move(identity)), store_(std::move(store)), limits_(limits) {}

Result<std::uint32_t> Controller::number_of(NetworkId id) const {
  if (id.controller() != address() || id.number() == 0) return Error::not_found;
  return id.number();
}

Result<NetworkInfo> Controller::info(std::uint32_t number) {
  auto row = store_.network(number);
  if (!row) return row.error();
  auto pools = store_.pools(number);
  if (!pools) return pools.error();
  auto routes = store_.routes(number);
  if (!routes) return routes.error();
  auto authorized = store_.member_count(number, true);
  if (!authorized) return authorized.error();
  auto pending = store_.member_count(number, false);
  if (!pending) return pending.error();
  return NetworkInfo{id_of(number), *row, *pools, *routes, *authorized, *pending};
}

Result<NetworkInfo> Controller::create_network(const NetworkSettings& s, std::uint64_t now_ms) {
  WEFT_TRY(check_settings(s));
  std::lock_guard lock(mutex_);
  std::uint32_t number = 0;
  auto r = store_.write([&]() -> Result<void> {
    auto existing = store_.networks();
    if (!existing) return existing.error();
    if (existing->size() >= limits_.max_networks) return Error::too_large;
    // The lowest free number: deterministic, and never reuses a live one.
    number = 1;
    for (const auto& n : *existing) {
      if (n.number != number) break;
      ++number;
    }
    if (number > NetworkId::kMaxNumber) return Error::too_large;
    WEFT_TRY(store_.insert_network({number, s.name, s.is_private, s.mtu, s.dns_domain, 1, now_ms}));
    for (const auto& p : s.ipv4_pools) WEFT_TRY(store_.add_pool(number, p));
    for (const auto& route : s.routes) WEFT_TRY(store_.add_route(number, route));
    return {};
  });
  if (!r) return r.error();
  log::info(kLog, "created network {} ({})", id_of(number).to_string(), s.name);
  return info(number);
}

Result<void> Controller::delete_network(NetworkId id) {
  auto number = number_of(id);
  if (!number) return number.error();
  std::lock_guard lock(mutex_);
  WEFT_TRY(store_.write([&] { return store_.delete_network(*number); }));
  for (auto it = last_request_ms_.begin(); it != last_request_ms_.end();) {
    if (it->first.network == *number) {
      queued_.push_back({NodeId::from_u64(it->first.node).value(), id,
                         refusal(id, wire::RefusalReason::not_found)});
      it = last_request_ms_.erase(it);
    } else {
      ++it;
    }
  }
  std::erase_if(dirty_members_, [&](const OnlineKey& k) { return k.network == *number; });
  return {};
}

Result<std::vector<NetworkInfo>> Controller::networks() {
  std::lock_guard lock(mutex_);
  auto rows = store_.networks();
  if (!rows) return rows.error();
  std::vector<NetworkInfo> out;
  for (const auto& row : *rows) {
    auto i = info(row.number);
    if (!i) return i.error();
    out.push_back(std::move(i).value());
  }
  return out;
}

Result<NetworkInfo> Controller::network(NetworkId id) {
  auto number = number_of(id);
  if (!number) return number.error();
  std::lock_guard lock(mutex_);
  return info(*number);
}

Result<MemberInfo> Controller::member_info(std::uint32_t number, const NetworkRow& net,
                                           const MemberRow& m, const std::vector<Ipv4Row>& all_ipv4,
                                           std::uint64_t now_ms) {
  auto node = NodeId::from_u64(m.node);
  if (!node) return Error::malformed;  // a row no version of the controller writes
  const NetworkId id = id_of(number);
  MemberInfo out{*node, m, {}, {}, {}, online({number, m.node}, now_ms)};
  for (const auto& a : all_ipv4)
    if (a.node == m.node) out.ipv4.push_back({to_bytes4(a.address), a.prefix});
  const auto v6 = vnet::Ula::member_address(id, *node);
  for (std::size_t i = 0; i < 16; ++i) out.ipv6.address[i] = std::byte{v6[i]};
  out.ipv6.prefix = vnet::Ula::kPrefixLength;
  if (!m.name.empty() && !net.dns_domain.empty()) out.dns_name = m.name + "." + net.dns_domain;
  return out;
}

Result<std::vector<MemberInfo>> Controller::members(NetworkId id, std::uint64_t now_ms) {
  auto number = number_of(id);
  if (!number) return number.error();
  std::lock_guard lock(mutex_);
  auto net = store_.network(*number);
  if (!net) return net.error();
  auto rows = store_.members(*number);
  if (!rows) return rows.error();
  auto ipv4 = store_.ipv4(*number);
  if (!ipv4) return ipv4.error();
  std::vector<MemberInfo> out;
  for (const auto& m : *rows) {
    auto i = member_info(*number, *net, m, *ipv4, now_ms);
    if (!i) return i.error();
    out.push_back(std::move(i).value());
  }
  return out;
}

Result<MemberInfo> Controller::member(NetworkId id, NodeId node, std::uint64_t now_ms) {
  auto number = number_of(id);
  if (!number) return number.error();
  std::lock_guard lock(mutex_);
  auto net = store_.network(*number);
  if (!net) return net.error();
  auto m = store_.member(*number, node.value());
  if (!m) return m.error();
  if (!*m) return Error::not_found;
  auto ipv4 = store_.ipv4(*number);
  if (!ipv4) return ipv4.error();
  return member_info(*number, *net, **m, *ipv4, now_ms);
}

Result<std::vector<Ipv4Row>> Controller::allocate_ipv4(std::uint32_t number, std::uint64_t node) {
  auto pools = store_.pools(number);
  if (!pools) return pools.error();
  auto taken_rows = store_.ipv4(number);
  if (!taken_rows) return taken_rows.error();
  std::set<std::uint32_t> taken;
  for (const auto& a : *taken_rows) {
    if (a.node == node) return std::vector<Ipv4Row>{};  // holds one already
    taken.insert(a.address);
  }
  for (const auto& p : *pools)
    for (std::uint64_t a = p.first; a <= p.last; ++a) {
      const auto addr = static_cast<std::uint32_t>(a);
      if (usable(addr, p.prefix) && !taken.contains(addr))
        return std::vector<Ipv4Row>{{node, addr, p.prefix}};
    }
  if (!pools->empty()) log::warn(kLog, "network {:06x}: IPv4 pools exhausted", number);
  return std::vector<Ipv4Row>{};
}

Result<void> Controller::authorize(NetworkId id, NodeId node, std::uint64_t now_ms) {
  auto number = number_of(id);
  if (!number) return number.error();
  std::lock_guard lock(mutex_);
  bool changed = false;
  if (auto written = store_.write([&]() -> Result<void> {
        WEFT_TRY(store_.network(*number));
        auto m = store_.member(*number, node.value());
        if (!m) return m.error();
        MemberRow row = m->value_or(MemberRow{node.value(), "", false, "", now_ms, now_ms});
        if (row.authorized) return {};
        auto count = store_.member_count(*number, true);
        if (!count) return count.error();
        if (static_cast<std::size_t>(*count) >= limits_.max_members) return Error::too_large;
        row.authorized = true;
        row.updated_ms = now_ms;
        WEFT_TRY(store_.put_member(*number, row));
        auto ipv4 = allocate_ipv4(*number, node.value());
        if (!ipv4) return ipv4.error();
        if (!ipv4->empty()) WEFT_TRY(store_.set_ipv4(*number, node.value(), *ipv4));
        WEFT_TRY(store_.bump_revision(*number));
        changed = true;
        return {};
      });
      !written)
    return written.error();
  if (changed) dirty_members_.insert({*number, node.value()});
  return {};
}

Result<void> Controller::deauthorize(NetworkId id, NodeId node, std::uint64_t now_ms) {
  auto number = number_of(id);
  if (!number) return number.error();
  std::lock_guard lock(mutex_);
  if (auto written = store_.write([&]() -> Result<void> {
        auto m = store_.member(*number, node.value());
        if (!m) return m.error();
        if (!*m) return Error::not_found;
        MemberRow row = **m;
        row.authorized = false;
        row.updated_ms = now_ms;
        WEFT_TRY(store_.put_member(*number, row));
        WEFT_TRY(store_.revoke(*number, node.value(), now_ms));
        WEFT_TRY(store_.bump_revision(*number));
        return {};
      });
      !written)
    return written.error();
  // Pushed even if the member was already unauthorized: resending a revocation
  // is harmless (thresholds only rise) and heals a lost push.
  wire::RevocationMessage revocation{id, node, now_ms};
  revocation.signature = identity_.sign(revocation.signing_input());
  Bytes bytes(wire::RevocationMessage::buffer_len());
  revocation.emit(bytes);
  for (const auto& [key, seen] : last_request_ms_)
    if (key.network == *number && key.node != node.value() && online(key, now_ms))
      queued_.push_back({NodeId::from_u64(key.node).value(), id, bytes});
  // It stays online (if it was): authorized again, it gets its config pushed
  // at once instead of at its next retry after the refusal.
  if (online({*number, node.value()}, now_ms))
    queued_.push_back({node, id, refusal(id, wire::RefusalReason::not_authorized)});
  dirty_members_.erase({*number, node.value()});
  log::info(kLog, "deauthorized {} on {}", node.to_string(), id.to_string());
  return {};
}

Result<void> Controller::update_member(NetworkId id, NodeId node, const MemberUpdate& update,
                                       std::uint64_t now_ms) {
  auto number = number_of(id);
  if (!number) return number.error();
  if (update.name && !valid_label(*update.name)) return Error::invalid_argument;
  std::vector<Ipv4Row> ipv4;
  if (update.ipv4) {
    if (update.ipv4->size() > wire::NetworkConfigView::kMaxIpv4) return Error::invalid_argument;
    for (const auto& a : *update.ipv4) {
      if (a.prefix == 0 || a.prefix > 32) return Error::invalid_argument;
      const std::uint32_t addr = from_bytes4(a.address);
      if (std::any_of(ipv4.begin(), ipv4.end(),
                      [&](const Ipv4Row& r) { return r.address == addr; }))
        return Error::invalid_argument;
      ipv4.push_back({node.value(), addr, a.prefix});
    }
  }
  std::lock_guard lock(mutex_);
  if (auto written = store_.write([&]() -> Result<void> {
        auto m = store_.member(*number, node.value());
        if (!m) return m.error();
        if (!*m) return Error::not_found;
        MemberRow row = **m;
        if (update.name) row.name = *update.name;
        row.updated_ms = now_ms;
        WEFT_TRY(store_.put_member(*number, row));
        if (update.ipv4) WEFT_TRY(store_.set_ipv4(*number, node.value(), ipv4));
        WEFT_TRY(store_.bump_revision(*number));
        return {};
      });
      !written)
    return written.error();
  dirty_members_.insert({*number, node.value()});
  return {};
}

Result<void> Controller::delete_member(NetworkId id, NodeId node) {
  auto number = number_of(id);
  if (!number) return number.error();
  std::lock_guard lock(mutex_);
  if (auto written = store_.write([&]() -> Result<void> {
        WEFT_TRY(store_.delete_member(*number, node.value()));  // cascades to its addresses
        WEFT_TRY(store_.bump_revision(*number));
        return {};
      });
      !written)
    return written.error();
  if (last_request_ms_.erase({*number, node.value()}) > 0)
    queued_.push_back({node, id, refusal(id, wire::RefusalReason::not_authorized)});
  dirty_members_.erase({*number, node.value()});
  return {};
}

Bytes Controller::refusal(NetworkId id, wire::RefusalReason reason) const {
  Bytes out(wire::ConfigRefusal::buffer_len());
  wire::ConfigRefusal{id, reason}.emit(out);
  return out;
}

bool Controller::online(const OnlineKey& key, std::uint64_t now_ms) const {
  auto it = last_request_ms_.find(key);
  return it != last_request_ms_.end() && it->second + limits_.online_window_ms >= now_ms;
}

Result<wire::NetworkConfig> Controller::build_config(std::uint32_t number,
                                                     const crypto::PublicIdentity& member,
                                                     const MemberRow& row, std::uint64_t now_ms) {
  auto net = store_.network(number);
  if (!net) return net.error();
  auto routes = store_.routes(number);
  if (!routes) return routes.error();
  auto ipv4 = store_.ipv4(number);
  if (!ipv4) return ipv4.error();
  auto revoked = store_.revocation(number, member.address().value());
  if (!revoked) return revoked.error();
  auto mi = member_info(number, *net, row, *ipv4, now_ms);
  if (!mi) return mi.error();
  const NetworkId id = id_of(number);
  // A member authorized again in the millisecond it was revoked must not get a
  // credential its own revocation covers.
  const std::uint64_t issued = (*revoked && **revoked >= now_ms) ? **revoked + 1 : now_ms;
  wire::NetworkConfig c{.network = id,
                        .member = member.address(),
                        .revision = net->revision,
                        .issued_ms = issued,
                        .is_private = net->is_private,
                        .mtu = net->mtu,
                        .name = net->name,
                        .ipv4 = mi->ipv4,
                        .ipv6 = {mi->ipv6},
                        .routes = *routes,
                        .dns_domain = net->dns_domain,
                        .dns_name = mi->dns_name,
                        .credential = vnet::Credentials::issue(
                            identity_, id, member, issued, limits_.max_delta_ms, net->revision)};
  if (!c.valid()) return Error::internal;
  c.signature = identity_.sign(c.signing_input());
  return c;
}

Result<Controller::Reply> Controller::handle_config_request(const crypto::PublicIdentity& member,
                                                            NetworkId id, std::uint64_t now_ms) {
  auto number = number_of(id);
  if (!number) return Reply{wire::ConfigRefusal{id, wire::RefusalReason::not_found}};
  const std::uint64_t node = member.address().value();
  const std::string identity_text = member.to_string();
  std::lock_guard lock(mutex_);
  auto net = store_.network(*number);
  if (!net) {
    if (net.error() == Error::not_found)
      return Reply{wire::ConfigRefusal{id, wire::RefusalReason::not_found}};
    return net.error();
  }
  auto m = store_.member(*number, node);
  if (!m) return m.error();
  const auto refuse = [&](wire::RefusalReason reason) -> Result<Reply> {
    return Reply{wire::ConfigRefusal{id, reason}};
  };

  MemberRow row;
  if (!*m) {
    const bool admit = !net->is_private;
    auto count = store_.member_count(*number, admit);
    if (!count) return count.error();
    const std::size_t cap = admit ? limits_.max_members : limits_.max_pending;
    if (static_cast<std::size_t>(*count) >= cap) {
      log::debug(kLog, "{}: not recording {}: {} members waiting", id.to_string(),
                 member.address().to_string(), *count);
      return refuse(admit ? wire::RefusalReason::rate_limited
                          : wire::RefusalReason::not_authorized);
    }
    row = {node, identity_text, admit, "", now_ms, now_ms};
    if (auto written = store_.write([&]() -> Result<void> {
          WEFT_TRY(store_.put_member(*number, row));
          if (!admit) return {};
          auto ipv4 = allocate_ipv4(*number, node);
          if (!ipv4) return ipv4.error();
          if (!ipv4->empty()) WEFT_TRY(store_.set_ipv4(*number, node, *ipv4));
          return {};
        });
        !written)
      return written.error();
    if (!admit) {
      // Waiting members count as online too, so an admin's authorize reaches
      // them at once (take_pushes) instead of at their next retry.
      last_request_ms_[{*number, node}] = now_ms;
      return refuse(wire::RefusalReason::not_authorized);
    }
  } else {
    row = **m;
    // Another key set behind the same 40-bit address is not this member.
    if (!row.identity.empty() && row.identity != identity_text)
      return refuse(wire::RefusalReason::not_authorized);
    if (!row.authorized) {
      last_request_ms_[{*number, node}] = now_ms;
      return refuse(wire::RefusalReason::not_authorized);
    }
    if (row.identity.empty()) {
      row.identity = identity_text;
      row.updated_ms = now_ms;
      WEFT_TRY(store_.write([&] { return store_.put_member(*number, row); }));
    }
  }

  auto config = build_config(*number, member, row, now_ms);
  if (!config) return config.error();
  last_request_ms_[{*number, node}] = now_ms;
  dirty_members_.erase({*number, node});  // it has the latest now
  return Reply{wire::ConfigMessage{std::move(config).value()}};
}

Result<wire::MemberList> Controller::gather(const crypto::PublicIdentity& member, NetworkId id,
                                            std::size_t limit, std::uint64_t now_ms) {
  auto number = number_of(id);
  if (!number) return number.error();
  std::lock_guard lock(mutex_);
  auto rows = store_.members(*number);
  if (!rows) return rows.error();
  if (!authorized_asker(*rows, member)) return Error::not_authorized;
  const std::uint64_t self = member.address().value();
  limit = std::min(limit, wire::MemberList::kMaxMembers);
  wire::MemberList out{id, {}};
  for (const auto& r : *rows) {
    if (out.members.size() >= limit) break;
    if (r.node == self || !r.authorized || !online({*number, r.node}, now_ms)) continue;
    auto node = NodeId::from_u64(r.node);
    if (node) out.members.push_back(*node);
  }
  std::sort(out.members.begin(), out.members.end());
  return out;
}

bool Controller::authorized_asker(const std::vector<MemberRow>& rows,
                                  const crypto::PublicIdentity& member) {
  const std::uint64_t self = member.address().value();
  const auto asker =
      std::find_if(rows.begin(), rows.end(), [&](const MemberRow& r) { return r.node == self; });
  return asker != rows.end() && asker->authorized && asker->identity == member.to_string();
}

Result<wire::NameAnswer> Controller::lookup_name(const crypto::PublicIdentity& member,
                                                 const wire::NameQuery& query,
                                                 std::uint64_t now_ms) {
  auto number = number_of(query.network);
  if (!number) return number.error();
  std::lock_guard lock(mutex_);
  auto rows = store_.members(*number);
  if (!rows) return rows.error();
  if (!authorized_asker(*rows, member)) return Error::not_authorized;
  wire::NameAnswer out{query.network, query.query, std::nullopt, {}, {}};
  const auto named = std::find_if(rows->begin(), rows->end(), [&](const MemberRow& r) {
    return r.authorized && r.name == query.name;
  });
  if (named == rows->end()) return out;
  auto net = store_.network(*number);
  if (!net) return net.error();
  auto ipv4 = store_.ipv4(*number);
  if (!ipv4) return ipv4.error();
  auto info = member_info(*number, *net, *named, *ipv4, now_ms);
  if (!info) return info.error();
  out.member = info->node;
  for (const auto& a : info->ipv4)
    if (out.ipv4.size() < wire::NameAnswer::kMaxIpv4) out.ipv4.push_back(a.address);
  out.ipv6.push_back(info->ipv6.address);
  return out;
}

Result<Bytes> Controller::handle_inner(const crypto::PublicIdentity& peer, ByteSpan message,
                                       std::uint64_t now_ms) {
  auto type = wire::vl2_inner_type(message);
  if (!type) return type.error();
  if (*type == wire::Vl2InnerType::member_gather) {
    auto request = wire::MemberGather::parse(message);
    if (!request) return request.error();
    auto list = gather(peer, request->network, request->limit, now_ms);
    if (!list) return list.error();
    return wire::emit_bytes(*list);
  }
  if (*type == wire::Vl2InnerType::name_query) {
    auto query = wire::NameQuery::parse(message);
    if (!query) return query.error();
    auto answer = lookup_name(peer, *query, now_ms);
    if (!answer) return answer.error();
    return wire::emit_bytes(*answer);
  }
  if (*type != wire::Vl2InnerType::config_request) return Error::unsupported;
  auto request = wire::ConfigRequest::parse(message);
  if (!request) return request.error();
  auto reply = handle_config_request(peer, request->network, now_ms);
  if (!reply) return reply.error();
  return std::visit(
      [](const auto& r) {
        Bytes out(r.buffer_len());
        r.emit(out);
        return out;
      },
      *reply);
}

std::vector<Push> Controller::take_pushes(std::uint64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::vector<Push> out = std::move(queued_);
  queued_.clear();
  std::set<OnlineKey> targets;
  for (const auto& [key, seen] : last_request_ms_)
    if (online(key, now_ms) && dirty_members_.contains(key)) targets.insert(key);
  dirty_members_.clear();
  for (const auto& key : targets) {
    const auto number = static_cast<std::uint32_t>(key.network);
    auto m = store_.member(number, key.node);
    if (!m || !*m || !(*m)->authorized) continue;
    auto identity = crypto::PublicIdentity::parse((*m)->identity);
    if (!identity) continue;
    auto config = build_config(number, *identity, **m, now_ms);
    if (!config) {
      log::warn(kLog, "no config push to {:010x}: {}", key.node, message(config.error()));
      continue;
    }
    wire::ConfigMessage msg{std::move(config).value()};
    Bytes bytes(msg.buffer_len());
    msg.emit(bytes);
    out.push_back({identity->address(), id_of(number), std::move(bytes)});
  }
  return out;
}

}  // namespace weft::controller
