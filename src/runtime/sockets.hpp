#pragma once

#include "socket/socket_table.hpp"
#include "stack/stack_driver.hpp"

namespace weft::runtime {

// The process's socket table over the process's lwIP stack (started on first
// use). The public C API (include/weft/weft.h) works on this table.
socket::SocketTable& sockets();

// The process's stack itself, for servers that hand sockets out in their own
// way (weftd's intercept server).
stack::StackDriver& stack_driver();

}  // namespace weft::runtime
