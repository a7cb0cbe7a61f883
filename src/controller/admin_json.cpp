#include "controller/admin_json.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace weft::controller::admin_json {

using nlohmann::json;

namespace {

std::string text4(const ByteArray<4>& b) { return ipv4_text(load_be32(b)); }

std::string text6(const ByteArray<16>& b) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, as_uchar(ByteSpan(b)), buf, sizeof buf);
  return buf;
}

std::optional<std::uint8_t> parse_prefix(std::string_view s, int max) {
  int v = -1;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < 0 || v > max) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

// "a.b.c.d/p" or "a.b.c.d-e.f.g.h/p": a pool.
std::optional<Ipv4Pool> parse_pool(std::string_view s) {
  const auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto prefix = parse_prefix(s.substr(slash + 1), 32);
  if (!prefix || *prefix == 0) return std::nullopt;
  const std::string_view range = s.substr(0, slash);
  const auto dash = range.find('-');
  if (dash == std::string_view::npos) {
    auto base = parse_ipv4(range);
    if (!base) return std::nullopt;
    const std::uint32_t mask = *prefix == 32 ? 0xffffffffU : ~((1U << (32U - *prefix)) - 1U);
    return Ipv4Pool{*base & mask, (*base & mask) | ~mask, *prefix};
  }
  auto first = parse_ipv4(range.substr(0, dash));
  auto last = parse_ipv4(range.substr(dash + 1));
  if (!first || !last) return std::nullopt;
  return Ipv4Pool{*first, *last, *prefix};
}

// "10.2.0.0/16" (IPv4) or "fd12::/48" (IPv6), and a via of the same family or absent.
std::optional<wire::ManagedRoute> parse_route(const json& j) {
  if (!j.is_object() || !j.contains("target") || !j["target"].is_string()) return std::nullopt;
  const std::string target = j["target"].get<std::string>();
  const auto slash = target.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const std::string addr = target.substr(0, slash);
  wire::ManagedRoute r;
  r.ipv6 = addr.find(':') != std::string::npos;
  const int family = r.ipv6 ? AF_INET6 : AF_INET;
  if (inet_pton(family, addr.c_str(), as_uchar(MutableByteSpan(r.target))) != 1)
    return std::nullopt;
  auto prefix = parse_prefix(std::string_view(target).substr(slash + 1), r.ipv6 ? 128 : 32);
  if (!prefix) return std::nullopt;
  r.prefix = *prefix;
  if (j.contains("via")) {
    if (!j["via"].is_string()) return std::nullopt;
    const std::string via = j["via"].get<std::string>();
    if (inet_pton(family, via.c_str(), as_uchar(MutableByteSpan(r.via))) != 1) return std::nullopt;
  }
  return r;
}

json route(const wire::ManagedRoute& r) {
  json j;
  const std::size_t len = r.ipv6 ? 16 : 4;
  ByteArray<4> t4{};
  ByteArray<4> v4{};
  std::copy_n(r.target.begin(), 4, t4.begin());
  std::copy_n(r.via.begin(), 4, v4.begin());
  j["target"] = (r.ipv6 ? text6(r.target) : text4(t4)) + "/" + std::to_string(r.prefix);
  if (!std::all_of(r.via.begin(), r.via.begin() + static_cast<std::ptrdiff_t>(len),
                   [](std::byte b) { return b == std::byte{0}; }))
    j["via"] = r.ipv6 ? text6(r.via) : text4(v4);
  return j;
}

std::string pool_text(const Ipv4Pool& p) {
  return ipv4_text(p.first) + "-" + ipv4_text(p.last) + "/" + std::to_string(p.prefix);
}

}  // namespace

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  const std::string s(text);
  ByteArray<4> b{};
  if (inet_pton(AF_INET, s.c_str(), as_uchar(MutableByteSpan(b))) != 1) return std::nullopt;
  return load_be32(b);
}

std::string ipv4_text(std::uint32_t a) {
  return std::to_string(a >> 24U) + "." + std::to_string((a >> 16U) & 0xffU) + "." +
         std::to_string((a >> 8U) & 0xffU) + "." + std::to_string(a & 0xffU);
}

json network(const NetworkInfo& n) {
  json pools = json::array();
  for (const auto& p : n.pools) pools.push_back(pool_text(p));
  json routes = json::array();
  for (const auto& r : n.routes) routes.push_back(route(r));
  return {{"id", n.id.to_string()},
          {"name", n.row.name},
          {"private", n.row.is_private},
          {"mtu", n.row.mtu},
          {"dns_domain", n.row.dns_domain},
          {"revision", n.row.revision},
          {"created_ms", n.row.created_ms},
          {"ipv4_pools", pools},
          {"routes", routes},
          {"authorized_members", n.authorized_members},
          {"pending_members", n.pending_members}};
}

json member(const MemberInfo& m) {
  json ipv4 = json::array();
  for (const auto& a : m.ipv4) ipv4.push_back(text4(a.address) + "/" + std::to_string(a.prefix));
  return {{"node", m.node.to_string()},
          {"identity", m.row.identity},
          {"authorized", m.row.authorized},
          {"name", m.row.name},
          {"dns_name", m.dns_name},
          {"ipv4", ipv4},
          {"ipv6", text6(m.ipv6.address) + "/" + std::to_string(m.ipv6.prefix)},
          {"online", m.online},
          {"created_ms", m.row.created_ms},
          {"updated_ms", m.row.updated_ms}};
}

Parsed<NetworkSettings> network_settings(const json& body) {
  auto bad = [](std::string why) { return Parsed<NetworkSettings>{std::nullopt, std::move(why)}; };
  if (!body.is_object()) return bad("the body must be a JSON object");
  NetworkSettings s;
  if (!body.contains("name") || !body["name"].is_string())
    return bad("\"name\" (a string) is required");
  s.name = body["name"].get<std::string>();
  if (body.contains("private")) {
    if (!body["private"].is_boolean()) return bad("\"private\" must be true or false");
    s.is_private = body["private"].get<bool>();
  }
  if (body.contains("mtu")) {
    if (!body["mtu"].is_number_unsigned() || body["mtu"].get<std::uint64_t>() > 65535)
      return bad("\"mtu\" must be a number from 1280 to 9000");
    s.mtu = body["mtu"].get<std::uint16_t>();
  }
  if (body.contains("dns_domain")) {
    if (!body["dns_domain"].is_string()) return bad("\"dns_domain\" must be a string");
    s.dns_domain = body["dns_domain"].get<std::string>();
  }
  if (body.contains("ipv4_pools")) {
    if (!body["ipv4_pools"].is_array()) return bad("\"ipv4_pools\" must be an array of strings");
    for (const auto& p : body["ipv4_pools"]) {
      auto pool = p.is_string() ? parse_pool(p.get<std::string>()) : std::nullopt;
      if (!pool)
        return bad("each IPv4 pool must look like \"10.1.0.0/24\" or \"10.1.0.10-10.1.0.99/24\"");
      s.ipv4_pools.push_back(*pool);
    }
  }
  if (body.contains("routes")) {
    if (!body["routes"].is_array()) return bad("\"routes\" must be an array");
    for (const auto& r : body["routes"]) {
      auto parsed = parse_route(r);
      if (!parsed)
        return bad(
            "each route must look like {\"target\": \"10.2.0.0/16\", \"via\": \"10.1.0.1\"}");
      s.routes.push_back(*parsed);
    }
  }
  return {s, {}};
}

Parsed<MemberUpdate> member_update(const json& body, const std::vector<Ipv4Pool>& pools) {
  auto bad = [](std::string why) { return Parsed<MemberUpdate>{std::nullopt, std::move(why)}; };
  if (!body.is_object()) return bad("the body must be a JSON object");
  MemberUpdate u;
  if (body.contains("name")) {
    if (!body["name"].is_string()) return bad("\"name\" must be a string");
    u.name = body["name"].get<std::string>();
  }
  if (body.contains("ipv4")) {
    if (!body["ipv4"].is_array()) return bad("\"ipv4\" must be an array of addresses");
    std::vector<wire::Ipv4Assignment> list;
    for (const auto& a : body["ipv4"]) {
      if (!a.is_string()) return bad("each IPv4 address must be a string like \"10.1.0.7/24\"");
      const std::string text = a.get<std::string>();
      const auto slash = text.find('/');
      auto addr = parse_ipv4(std::string_view(text).substr(0, slash));
      if (!addr) return bad("\"" + text + "\" is not an IPv4 address");
      std::uint8_t prefix = 32;
      if (slash != std::string::npos) {
        auto p = parse_prefix(std::string_view(text).substr(slash + 1), 32);
        if (!p || *p == 0) return bad("\"" + text + "\" has a bad prefix length");
        prefix = *p;
      } else {
        for (const auto& pool : pools)
          if (*addr >= pool.first && *addr <= pool.last) {
            prefix = pool.prefix;
            break;
          }
      }
      wire::Ipv4Assignment assignment;
      store_be32(assignment.address, *addr);
      assignment.prefix = prefix;
      list.push_back(assignment);
    }
    u.ipv4 = std::move(list);
  }
  return {u, {}};
}

}  // namespace weft::controller::admin_json
