#pragma once

#include <string>

#include "base/result.hpp"

namespace weft::osdep {

// The node service's state directory when none is given, the same for weftd
// and the weft CLI: $XDG_STATE_HOME/weft, else $HOME/.local/state/weft.
// Error::not_found when neither variable is set (or either is relative,
// which the XDG specification says to ignore).
Result<std::string> default_state_dir();

}  // namespace weft::osdep
