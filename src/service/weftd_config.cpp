#include "service/weftd_config.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/wire_endpoint.hpp"

namespace weft::service {

std::variant<WeftdConfig, std::string> parse_weftd_config(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return std::string("not valid JSON");
  if (!j.is_object()) return std::string("the file must hold one JSON object");
  WeftdConfig c;
  for (const auto& [key, value] : j.items()) {
    if (key == "roots") {
      if (!value.is_array()) return std::string("\"roots\" must be a list of strings");
      std::vector<node::RootEntry> roots;
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string())
          return fmt::format("\"roots\"[{}] must be a string \"IDENTITY@HOST:PORT\"", i);
        auto r = runtime::parse_root_entry(value[i].get_ref<const std::string&>());
        if (!r)
          return fmt::format("\"roots\"[{}]: {} (expected IDENTITY@HOST:PORT)", i,
                             message(r.error()));
        roots.push_back(std::move(*r));
      }
      c.roots = std::move(roots);
    } else if (key == "listen") {
      if (!value.is_string()) return std::string("\"listen\" must be a string \"HOST:PORT\"");
      auto e = osdep::Endpoint::parse(value.get_ref<const std::string&>());
      if (!e) return std::string("\"listen\": not an endpoint (e.g. 0.0.0.0:0 or [::]:9993)");
      c.listen = *e;
    } else if (key == "log_level") {
      const auto level =
          value.is_string() ? log::parse_level(value.get_ref<const std::string&>()) : std::nullopt;
      if (!level)
        return std::string("\"log_level\" must be \"error\", \"warn\", \"info\" or \"debug\"");
      c.log_level = *level;
    } else {
      return fmt::format("unknown key \"{}\" (known: roots, listen, log_level)", key);
    }
  }
  return c;
}

}  // namespace weft::service
