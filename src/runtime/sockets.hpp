#pragma once

#include "socket/socket_table.hpp"

namespace weft::runtime {

// The process's socket table over the process's lwIP stack (started on first
// use). The public C API (include/weft/weft.h) works on this table.
socket::SocketTable& sockets();

}  // namespace weft::runtime
