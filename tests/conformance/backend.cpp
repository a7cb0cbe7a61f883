#include "conformance/backend.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "weft/weft.h"

namespace weft::conformance {
namespace {

ssize_t kernel_send(int fd, const void* buf, size_t len, int flags) {
  return ::send(fd, buf, len, flags | MSG_NOSIGNAL);
}

ssize_t kernel_sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* addr,
                      socklen_t alen) {
  return ::sendto(fd, buf, len, flags | MSG_NOSIGNAL, addr, alen);
}

int kernel_set_nonblocking(int fd, int on) {
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0) return -1;
  return ::fcntl(fd, F_SETFL, on != 0 ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}

int kernel_export_fd(int fd) { return fd; }
int kernel_last_error() { return errno; }
int weft_last_error() { return weft_errno; }

const Backend kKernel{
    "kernel",
    false,
    ::socket,
    ::bind,
    ::listen,
    ::accept,
    ::connect,
    kernel_send,
    ::recv,
    kernel_sendto,
    ::recvfrom,
    ::shutdown,
    ::close,
    ::setsockopt,
    ::getsockopt,
    ::getsockname,
    ::getpeername,
    kernel_set_nonblocking,
    ::poll,
    kernel_export_fd,
    kernel_last_error,
    "127.0.0.1",
    "127.0.0.1",
    "::1",
    "::1",
};

const Backend kWeft{
    "weft",           true,
    weft_socket,      weft_bind,
    weft_listen,      weft_accept,
    weft_connect,     weft_send,
    weft_recv,        weft_sendto,
    weft_recvfrom,    weft_shutdown,
    weft_close,       weft_setsockopt,
    weft_getsockopt,  weft_getsockname,
    weft_getpeername, weft_set_nonblocking,
    weft_poll,        weft_export_fd,
    weft_last_error,  "10.77.0.1",
    "10.77.0.2",      "fd77::1",
    "fd77::2",
};

Backend overlay_from_weft() {
  Backend b = kWeft;
  b.name = "overlay";
  return b;
}

Backend g_overlay = overlay_from_weft();
std::string g_overlay_addresses[4];  // what g_overlay's address pointers point at

}  // namespace

const Backend& overlay_backend() { return g_overlay; }

void set_overlay_addresses(const std::string& local_v4, const std::string& peer_v4,
                           const std::string& local_v6, const std::string& peer_v6) {
  g_overlay_addresses[0] = local_v4;
  g_overlay_addresses[1] = peer_v4;
  g_overlay_addresses[2] = local_v6;
  g_overlay_addresses[3] = peer_v6;
  g_overlay.local_v4 = g_overlay_addresses[0].c_str();
  g_overlay.peer_v4 = g_overlay_addresses[1].c_str();
  g_overlay.local_v6 = g_overlay_addresses[2].c_str();
  g_overlay.peer_v6 = g_overlay_addresses[3].c_str();
}

const Backend& kernel_backend() { return kKernel; }
const Backend& weft_backend() { return kWeft; }

const Backend& backend_named(std::string_view name) {
  if (name == kKernel.name) return kKernel;
  if (name == kWeft.name) return kWeft;
  std::abort();
}

}  // namespace weft::conformance
