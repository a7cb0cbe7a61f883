#pragma once

// The C library's own socket calls, found behind this library with
// dlsym(RTLD_NEXT): what the interposers call for everything that is not a
// virtual socket, and what the preload itself uses (so its own I/O never
// passes through its interposers).

#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

namespace weft::intercept::real {

int close(int fd);
int dup(int fd);
int dup2(int fd, int to);
int dup3(int fd, int to, int flags);
int fcntl(int fd, int cmd, long arg);
int socket(int domain, int type, int protocol);
int bind(int fd, const sockaddr* addr, socklen_t len);
int listen(int fd, int backlog);
int accept4(int fd, sockaddr* addr, socklen_t* len, int flags);
int connect(int fd, const sockaddr* addr, socklen_t len);
int getsockname(int fd, sockaddr* addr, socklen_t* len);
int getpeername(int fd, sockaddr* addr, socklen_t* len);
int getsockopt(int fd, int level, int name, void* value, socklen_t* len);
int setsockopt(int fd, int level, int name, const void* value, socklen_t len);
ssize_t sendmsg(int fd, const msghdr* msg, int flags);
ssize_t recvmsg(int fd, msghdr* msg, int flags);
ssize_t sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* addr,
               socklen_t alen);
ssize_t recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* addr, socklen_t* alen);
ssize_t send(int fd, const void* buf, size_t len, int flags);
ssize_t recv(int fd, void* buf, size_t len, int flags);
ssize_t read(int fd, void* buf, size_t len);
ssize_t write(int fd, const void* buf, size_t len);
ssize_t readv(int fd, const iovec* iov, int count);
ssize_t writev(int fd, const iovec* iov, int count);
int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res);
hostent* gethostbyname(const char* name);
hostent* gethostbyname2(const char* name, int af);
int gethostbyname_r(const char* name, hostent* ret, char* buf, size_t len, hostent** result,
                    int* h_errnop);
int gethostbyname2_r(const char* name, int af, hostent* ret, char* buf, size_t len,
                     hostent** result, int* h_errnop);

}  // namespace weft::intercept::real
