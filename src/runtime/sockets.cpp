#include "runtime/sockets.hpp"

#include "stack/lwip/lwip_stack.hpp"

namespace weft::runtime {

socket::SocketTable& sockets() {
  // Never destroyed: lwIP cannot be shut down, and app threads may still be in
  // a call at exit.
  static auto* table = new socket::SocketTable(stack::lwip::LwipStack::instance());
  return *table;
}

stack::StackDriver& stack_driver() { return stack::lwip::LwipStack::instance(); }

}  // namespace weft::runtime
