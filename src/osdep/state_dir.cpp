#include "osdep/state_dir.hpp"

#include <cstdlib>
#include <string_view>

namespace weft::osdep {

Result<std::string> default_state_dir() {
  const auto absolute = [](const char* v) { return v != nullptr && v[0] == '/'; };
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); absolute(xdg))
    return std::string(xdg) + "/weft";
  if (const char* home = std::getenv("HOME"); absolute(home))
    return std::string(home) + "/.local/state/weft";
  return Error::not_found;
}

}  // namespace weft::osdep
