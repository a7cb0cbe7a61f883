#include "stack/lwip/lwip_stack.hpp"

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <random>

#include "stack/lwip/lwip_headers.hpp"
#include "stack/lwip/tcp_socket.hpp"
#include "stack/lwip/udp_socket.hpp"

namespace weft::stack::lwip {

namespace {
struct InitDone {
  std::mutex m;
  std::condition_variable cv;
  bool done{false};
};

void on_init_done(void* arg) {
  auto* d = static_cast<InitDone*>(arg);
  // Notify with the lock held: the waiter owns *d and destroys it as soon as it
  // can see done.
  std::lock_guard lock(d->m);
  d->done = true;
  d->cv.notify_all();
}
}  // namespace

LwipStack& LwipStack::instance() {
  static LwipStack stack;
  return stack;
}

LwipStack::LwipStack() {
  std::random_device rd;
  std::srand(rd());  // NOLINT(cert-msc51-cpp): LWIP_RAND is rand(); see header
  InitDone done;
  tcpip_init(&on_init_done, &done);
  std::unique_lock lock(done.m);
  done.cv.wait(lock, [&] { return done.done; });
}

Result<std::unique_ptr<Socket>> LwipStack::open(Transport transport, Family family) {
  if (transport == Transport::tcp) {
    auto s = TcpSocket::create(family);
    if (!s) return s.error();
    return std::unique_ptr<Socket>(std::move(s).value());
  }
  auto s = UdpSocket::create(family);
  if (!s) return s.error();
  return std::unique_ptr<Socket>(std::move(s).value());
}

}  // namespace weft::stack::lwip
