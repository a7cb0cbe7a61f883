#include "service/weftd_config.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "osdep/linux_tap.hpp"
#include "runtime/wire_endpoint.hpp"
#include "service/control_request.hpp"

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
    } else if (key == "tap") {
      if (!value.is_object())
        return std::string("\"tap\" must be an object {\"NETWORK\": \"DEVICE\", ...}");
      for (const auto& [net, device] : value.items()) {
        const auto id = NetworkId::parse(net);
        if (!id) return fmt::format("\"tap\": \"{}\" is not a network id (16 hex digits)", net);
        std::string name = device.is_string() ? device.get<std::string>() : std::string("/");
        if (name.empty()) name = kDefaultTapName;
        if (!osdep::LinuxTap::valid_name(name))
          return fmt::format(
              "\"tap\"[\"{}\"] must be a device name (1 to 15 characters, no '/', ':' or "
              "whitespace, at most one \"%d\"; \"\" for weft%d)",
              net);
        c.tap[*id] = std::move(name);
      }
    } else {
      return fmt::format("unknown key \"{}\" (known: roots, listen, log_level, tap)", key);
    }
  }
  return c;
}

}  // namespace weft::service
