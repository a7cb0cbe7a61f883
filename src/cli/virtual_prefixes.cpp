#include "cli/virtual_prefixes.hpp"

#include <algorithm>

namespace weft::cli {

std::string virtual_prefixes(const nlohmann::json& networks_reply,
                             const std::vector<std::string>& only) {
  std::string prefixes;
  for (const auto& n : networks_reply.value("networks", nlohmann::json::array())) {
    const std::string id = n.value("id", "");
    if (!only.empty() && std::find(only.begin(), only.end(), id) == only.end()) continue;
    if (const auto tap = n.find("tap"); tap != n.end() && !tap->is_null()) continue;
    for (const auto& a : n.value("addresses", nlohmann::json::array())) {
      if (!a.is_string()) continue;
      if (!prefixes.empty()) prefixes += ',';
      prefixes += a.get<std::string>();
    }
  }
  return prefixes;
}

}  // namespace weft::cli
