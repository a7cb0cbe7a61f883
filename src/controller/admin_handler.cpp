#include "controller/admin_handler.hpp"

#include <arpa/inet.h>
#include <nlohmann/json.hpp>

#include <vector>

#include "controller/admin_json.hpp"

namespace weft::controller {

using nlohmann::json;
using Response = AdminHandler::Response;

namespace {

Response reply(int status, const json& j) { return {status, j.dump()}; }

Response fail(int status, std::string_view error, std::string_view message) {
  return reply(status, {{"error", error}, {"message", message}});
}

Response fail(Error e, std::string_view what) {
  int status = 500;
  switch (e) {
    case Error::invalid_argument:
    case Error::malformed: status = 400; break;
    case Error::not_found: status = 404; break;
    case Error::already_exists: status = 409; break;
    case Error::too_large: status = 413; break;
    case Error::busy: status = 503; break;
    default: break;
  }
  return fail(status, name(e), std::string(what) + ": " + std::string(message(e)));
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  const auto query = path.find('?');
  path = path.substr(0, query);
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return parts;
}

}  // namespace

bool AdminHandler::is_loopback(std::string_view address) noexcept {
  const std::string s(address);
  unsigned char b[16] = {};
  if (inet_pton(AF_INET, s.c_str(), b) == 1) return b[0] == 127;
  if (inet_pton(AF_INET6, s.c_str(), b) != 1) return false;
  static constexpr unsigned char kLoop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(b, b + 16, kLoop6) || (std::equal(b, b + 12, kMapped) && b[12] == 127);
}

bool AdminHandler::is_loopback_host(std::string_view host) noexcept {
  std::string_view name = host;
  if (name.starts_with('[')) {
    const auto close = name.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = name.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return false;
    return is_loopback(name.substr(1, close - 1));
  }
  const auto colon = name.find(':');
  name = name.substr(0, colon);
  return name == "localhost" || is_loopback(name);
}

bool AdminHandler::equal_constant_time(std::string_view a, std::string_view b) noexcept {
  unsigned diff = a.size() == b.size() ? 0U : 1U;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0U;
    const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0U;
    diff |= x ^ y;
  }
  return diff == 0;
}

Response AdminHandler::handle(const Request& request, std::uint64_t now_ms) {
  if (!is_loopback(request.remote_addr))
    return fail(403, "forbidden", "the admin API answers loopback clients only");
  if (!is_loopback_host(request.host))
    return fail(403, "forbidden", "the Host header must name a loopback address");
  constexpr std::string_view kBearer = "Bearer ";
  if (!request.authorization.starts_with(kBearer) ||
      !equal_constant_time(std::string_view(request.authorization).substr(kBearer.size()), token_))
    return fail(
        401, "unauthorized",
        "send the token from the controller's token file as 'Authorization: Bearer <token>'");
  return route(request, now_ms);
}

Response AdminHandler::route(const Request& r, std::uint64_t now_ms) {
  const auto parts = split_path(r.path);
  const std::string& m = r.method;
  if (parts.size() < 2 || parts[0] != "v1" || parts[1] != "networks")
    return fail(404, "not_found", "no such endpoint; see docs/vnet.md for the admin API");

  auto parse_body = [&](json& out) -> bool {
    out = json::parse(r.body, nullptr, false);
    return !out.is_discarded();
  };
  const auto bad_json = [] { return fail(400, "malformed", "the body is not valid JSON"); };

  if (parts.size() == 2) {
    if (m == "GET") {
      auto nets = controller_.networks();
      if (!nets) return fail(nets.error(), "listing networks");
      json list = json::array();
      for (const auto& n : *nets) list.push_back(admin_json::network(n));
      return reply(200, {{"networks", list}});
    }
    if (m == "POST") {
      json body;
      if (!parse_body(body)) return bad_json();
      auto settings = admin_json::network_settings(body);
      if (!settings.value) return fail(400, "invalid_argument", settings.error);
      auto n = controller_.create_network(*settings.value, now_ms);
      if (!n) return fail(n.error(), "creating the network");
      return reply(201, admin_json::network(*n));
    }
    return fail(405, "method_not_allowed", "use GET or POST on /v1/networks");
  }

  auto id = NetworkId::parse(parts[2]);
  if (!id) return fail(400, "invalid_argument", "a network id is 16 hex digits");
  if (parts.size() == 3) {
    if (m == "GET") {
      auto n = controller_.network(*id);
      if (!n) return fail(n.error(), "network " + id->to_string());
      return reply(200, admin_json::network(*n));
    }
    if (m == "DELETE") {
      if (auto d = controller_.delete_network(*id); !d)
        return fail(d.error(), "network " + id->to_string());
      return reply(200, {{"deleted", id->to_string()}});
    }
    return fail(405, "method_not_allowed", "use GET or DELETE on a network");
  }
  if (parts[3] != "members") return fail(404, "not_found", "no such endpoint");
  if (parts.size() == 4) {
    if (m != "GET") return fail(405, "method_not_allowed", "use GET on members");
    auto list = controller_.members(*id, now_ms);
    if (!list) return fail(list.error(), "network " + id->to_string());
    json out = json::array();
    for (const auto& x : *list) out.push_back(admin_json::member(x));
    return reply(200, {{"members", out}});
  }
  auto node = NodeId::parse(parts[4]);
  if (!node) return fail(400, "invalid_argument", "a member address is 10 hex digits");
  const std::string what = "member " + node->to_string() + " of " + id->to_string();
  auto member_reply = [&](int status) {
    auto info = controller_.member(*id, *node, now_ms);
    if (!info) return fail(info.error(), what);
    return reply(status, admin_json::member(*info));
  };

  if (parts.size() == 5) {
    if (m == "GET") return member_reply(200);
    if (m == "PATCH") {
      json body;
      if (!parse_body(body)) return bad_json();
      auto net = controller_.network(*id);
      if (!net) return fail(net.error(), "network " + id->to_string());
      auto update = admin_json::member_update(body, net->pools);
      if (!update.value) return fail(400, "invalid_argument", update.error);
      if (auto u = controller_.update_member(*id, *node, *update.value, now_ms); !u)
        return fail(u.error(), what);
      return member_reply(200);
    }
    if (m == "DELETE") {
      if (auto d = controller_.delete_member(*id, *node); !d) return fail(d.error(), what);
      return reply(200, {{"deleted", node->to_string()}});
    }
    return fail(405, "method_not_allowed", "use GET, PATCH or DELETE on a member");
  }
  if (parts.size() == 6 && m == "POST") {
    if (parts[5] == "authorize") {
      if (auto a = controller_.authorize(*id, *node, now_ms); !a) return fail(a.error(), what);
      return member_reply(200);
    }
    if (parts[5] == "deauthorize") {
      if (auto a = controller_.deauthorize(*id, *node, now_ms); !a) return fail(a.error(), what);
      return member_reply(200);
    }
  }
  return fail(404, "not_found", "no such endpoint");
}

}  // namespace weft::controller
