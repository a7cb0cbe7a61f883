#include "intercept/real_calls.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace weft::intercept::real {

namespace {

// Looked up once per function, on first use. A C library without the symbol
// is a broken installation, not something to limp along with.
template <typename F>
F next(const char* name) {
  void* p = ::dlsym(RTLD_NEXT, name);
  if (p == nullptr) {
    std::fprintf(stderr, "weft-preload: the C library has no %s\n", name);
    std::abort();
  }
  return reinterpret_cast<F>(p);
}

}  // namespace

#define WEFT_REAL(name, ret, params, args)             \
  ret name params {                                    \
    static const auto fn = next<ret(*) params>(#name); \
    return fn args;                                    \
  }

WEFT_REAL(close, int, (int fd), (fd))
WEFT_REAL(dup, int, (int fd), (fd))
WEFT_REAL(dup2, int, (int fd, int to), (fd, to))
WEFT_REAL(dup3, int, (int fd, int to, int flags), (fd, to, flags))
WEFT_REAL(fcntl, int, (int fd, int cmd, long arg), (fd, cmd, arg))
WEFT_REAL(socket, int, (int domain, int type, int protocol), (domain, type, protocol))
WEFT_REAL(bind, int, (int fd, const sockaddr* addr, socklen_t len), (fd, addr, len))
WEFT_REAL(listen, int, (int fd, int backlog), (fd, backlog))
WEFT_REAL(accept4, int, (int fd, sockaddr* addr, socklen_t* len, int flags), (fd, addr, len, flags))
WEFT_REAL(connect, int, (int fd, const sockaddr* addr, socklen_t len), (fd, addr, len))
WEFT_REAL(getsockname, int, (int fd, sockaddr* addr, socklen_t* len), (fd, addr, len))
WEFT_REAL(getpeername, int, (int fd, sockaddr* addr, socklen_t* len), (fd, addr, len))
WEFT_REAL(getsockopt, int, (int fd, int level, int name, void* value, socklen_t* len),
          (fd, level, name, value, len))
WEFT_REAL(setsockopt, int, (int fd, int level, int name, const void* value, socklen_t len),
          (fd, level, name, value, len))
WEFT_REAL(sendmsg, ssize_t, (int fd, const msghdr* msg, int flags), (fd, msg, flags))
WEFT_REAL(recvmsg, ssize_t, (int fd, msghdr* msg, int flags), (fd, msg, flags))
WEFT_REAL(sendto, ssize_t,
          (int fd, const void* buf, size_t len, int flags, const sockaddr* addr, socklen_t alen),
          (fd, buf, len, flags, addr, alen))
WEFT_REAL(recvfrom, ssize_t,
          (int fd, void* buf, size_t len, int flags, sockaddr* addr, socklen_t* alen),
          (fd, buf, len, flags, addr, alen))
WEFT_REAL(send, ssize_t, (int fd, const void* buf, size_t len, int flags), (fd, buf, len, flags))
WEFT_REAL(recv, ssize_t, (int fd, void* buf, size_t len, int flags), (fd, buf, len, flags))
WEFT_REAL(read, ssize_t, (int fd, void* buf, size_t len), (fd, buf, len))
WEFT_REAL(write, ssize_t, (int fd, const void* buf, size_t len), (fd, buf, len))
WEFT_REAL(readv, ssize_t, (int fd, const iovec* iov, int count), (fd, iov, count))
WEFT_REAL(writev, ssize_t, (int fd, const iovec* iov, int count), (fd, iov, count))
WEFT_REAL(getaddrinfo, int,
          (const char* node, const char* service, const addrinfo* hints, addrinfo** res),
          (node, service, hints, res))
WEFT_REAL(gethostbyname, hostent*, (const char* name), (name))
WEFT_REAL(gethostbyname2, hostent*, (const char* name, int af), (name, af))
WEFT_REAL(gethostbyname_r, int,
          (const char* name, hostent* ret, char* buf, size_t len, hostent** result,
           int* h_errnop),
          (name, ret, buf, len, result, h_errnop))
WEFT_REAL(gethostbyname2_r, int,
          (const char* name, int af, hostent* ret, char* buf, size_t len, hostent** result,
           int* h_errnop),
          (name, af, ret, buf, len, result, h_errnop))

#undef WEFT_REAL

}  // namespace weft::intercept::real
