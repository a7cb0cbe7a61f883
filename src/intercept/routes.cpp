#include "intercept/routes.hpp"

#include <arpa/inet.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "intercept/daemon_client.hpp"

namespace weft::intercept {

namespace {

constexpr auto kRefresh = std::chrono::seconds(1);

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    out.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// "ADDRESS/LENGTH"; nullopt for anything else (ignored, like a bad route).
std::optional<wire::VirtualPrefix> parse_prefix(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string address(text.substr(0, slash));
  const std::string length(text.substr(slash + 1));
  wire::VirtualPrefix p;
  p.ipv6 = address.find(':') != std::string::npos;
  if (::inet_pton(p.ipv6 ? AF_INET6 : AF_INET, address.c_str(), p.bytes.data()) != 1)
    return std::nullopt;
  char* end = nullptr;
  const long n = std::strtol(length.c_str(), &end, 10);
  if (end == length.c_str() || *end != '\0' || n < 0 || n > (p.ipv6 ? 128 : 32))
    return std::nullopt;
  p.length = static_cast<std::uint8_t>(n);
  return p;
}

}  // namespace

Routes& Routes::instance() {
  static Routes* r = new Routes;  // never destroyed: see FdRegistry::instance
  return *r;
}

Routes::Routes() {
  if (const char* n = std::getenv("WEFT_NETWORKS")) {
    for (auto id : split(n)) networks_.insert(std::strtoull(std::string(id).c_str(), nullptr, 16));
  }
  if (const char* p = std::getenv("WEFT_PREFIXES")) {
    for (auto text : split(p))
      if (auto prefix = parse_prefix(text)) prefixes_.push_back(*prefix);
  }
}

bool Routes::match_locked(bool ipv6, const ByteArray<16>& address) const {
  for (const auto& p : prefixes_)
    if (p.contains(ipv6, address)) return true;
  return false;
}

void Routes::refresh_locked() {
  const auto now = std::chrono::steady_clock::now();
  if (ever_asked_ && now - asked_ < kRefresh) return;
  ever_asked_ = true;
  asked_ = now;
  auto fresh = daemon::info();
  if (!fresh) return;  // keep what we knew: the daemon may be restarting
  prefixes_.clear();
  for (const auto& p : *fresh)
    if (networks_.empty() || networks_.contains(p.network)) prefixes_.push_back(p);
}

bool Routes::is_virtual(bool ipv6, const ByteArray<16>& address) {
  std::lock_guard lock(mu_);
  if (match_locked(ipv6, address)) return true;
  refresh_locked();
  return match_locked(ipv6, address);
}

}  // namespace weft::intercept
