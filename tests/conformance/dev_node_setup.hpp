#pragma once

// The Weft side of the two processes: each opens a DevNode on loopback (port 0)
// and starts it once it knows the other's port. DevNode rather than
// weft_dev_start because weft_dev_start needs both ports up front and cannot
// report the one it bound.

#include <cstdint>

#include "runtime/dev_node.hpp"

namespace weft::conformance {

enum class Side : std::uint8_t { test, peer };

// Opens this process's dev node (10.77.0.1/24 + fd77::1 for the test side,
// .2 / ::2 for the peer). Never destroyed: lwIP cannot be shut down. nullptr on
// failure (the reason on stderr).
runtime::DevNode* open_dev_node(Side side);
// The node open_dev_node made (nullptr before).
runtime::DevNode* dev_node();

}  // namespace weft::conformance
