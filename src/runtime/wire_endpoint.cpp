#include "runtime/wire_endpoint.hpp"

#include <algorithm>

namespace weft::runtime {

osdep::Endpoint to_osdep(const wire::Endpoint& e) noexcept {
  if (e.family == wire::Endpoint::Family::ipv4) {
    std::array<std::uint8_t, 4> a{};
    std::transform(e.address.begin(), e.address.begin() + 4, a.begin(),
                   [](std::byte b) { return std::to_integer<std::uint8_t>(b); });
    return osdep::Endpoint::v4(a, e.port);
  }
  std::array<std::uint8_t, 16> a{};
  std::transform(e.address.begin(), e.address.end(), a.begin(),
                 [](std::byte b) { return std::to_integer<std::uint8_t>(b); });
  return osdep::Endpoint::v6(a, e.port);
}

std::optional<wire::Endpoint> to_wire(const osdep::Endpoint& e) noexcept {
  if (e.port() == 0 || e.scope_id() != 0) return std::nullopt;
  ByteArray<16> a{};
  std::transform(e.address().begin(), e.address().end(), a.begin(),
                 [](std::uint8_t b) { return std::byte{b}; });
  if (e.is_v4()) {
    ByteArray<4> a4{};
    std::copy_n(a.begin(), 4, a4.begin());
    return wire::Endpoint::ipv4(a4, e.port());
  }
  return wire::Endpoint::ipv6(a, e.port());
}

Result<node::RootEntry> parse_root_entry(std::string_view text) {
  const auto at = text.rfind('@');
  if (at == std::string_view::npos) return Error::malformed;
  auto id = crypto::PublicIdentity::parse(text.substr(0, at));
  if (!id) return id.error();
  auto ep = osdep::Endpoint::parse(text.substr(at + 1));
  if (!ep) return ep.error();
  auto w = to_wire(*ep);
  if (!w) return Error::invalid_argument;
  return node::RootEntry{*id, {*w}};
}

std::string to_string(const node::RootEntry& root) {
  return root.identity.to_string() + "@" +
         (root.endpoints.empty() ? std::string("?") : to_osdep(root.endpoints.front()).to_string());
}

}  // namespace weft::runtime
