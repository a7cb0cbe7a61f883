#pragma once

// Example programs as child processes: the tests' ChildProcess, ended with
// SIGTERM (servers run until ended).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "integration/child_process.hpp"

namespace weft::examples_test {

using Ms = std::chrono::milliseconds;
inline constexpr Ms kWait{30000};  // generous: 2 busy cores

using ExampleProcess = integration::ChildProcess;

inline std::unique_ptr<ExampleProcess> spawn_example(const std::vector<std::string>& argv) {
  return ExampleProcess::spawn(argv, ExampleProcess::Ending::terminate);
}

}  // namespace weft::examples_test
