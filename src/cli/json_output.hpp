#pragma once

#include <nlohmann/json.hpp>

namespace weft::cli {

// What `--json` prints: the reply as weftd or the controller sent it, indented.
void print_json(const nlohmann::json& j);

}  // namespace weft::cli
