#include "cli/json_output.hpp"

#include <cstdio>

namespace weft::cli {

void print_json(const nlohmann::json& j) { std::printf("%s\n", j.dump(2).c_str()); }

}  // namespace weft::cli
