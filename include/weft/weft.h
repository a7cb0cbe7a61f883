/** @file
 * Weft public C API: BSD-like sockets on the Weft user-space TCP/IP stack.
 *
 * Descriptors are small integers of Weft's own table (not kernel fds); use them
 * only with weft_* calls (weft_export_fd turns one into a kernel fd).
 * Arguments and constants are the POSIX ones: AF_INET/AF_INET6, SOCK_STREAM/
 * SOCK_DGRAM (| SOCK_NONBLOCK), SOL_SOCKET/IPPROTO_TCP options, MSG_* flags,
 * struct pollfd events.
 *
 * Errors: -1 and weft_errno (thread-local, POSIX values). Documented errors
 * beyond those of the POSIX call of the same name:
 *   EBADF   a descriptor that is not open (including after weft_close)
 *   EINVAL  a null pointer where one is required, a short address length
 *   EOPNOTSUPP  an unsupported family, type, protocol or option
 *               (POSIX would say EAFNOSUPPORT / EPROTONOSUPPORT / ENOPROTOOPT)
 *   ENOBUFS the descriptor table is full (POSIX: EMFILE)
 * Weft never raises SIGPIPE: writing to a closed connection fails with EPIPE.
 * Threads: any thread may make any call; a call blocked on a descriptor that
 * another thread closes fails with EBADF.
 *
 * Sockets are single-family: an AF_INET6 socket speaks IPv6 only (as Linux with
 * IPV6_V6ONLY 1; the option itself is not offered). Connecting or sending to an
 * IPv4-mapped address (\::ffff:a.b.c.d) fails at once with ENETUNREACH. An address
 * of the other family gets Linux's answer for an IPv6-only socket: EAFNOSUPPORT
 * on an AF_INET socket; on an AF_INET6 socket, sendto fails with ENETUNREACH,
 * UDP connect with EAFNOSUPPORT, and bind and TCP connect with EINVAL when the
 * length is shorter than a sockaddr_in6 (else EAFNOSUPPORT).
 * A connected UDP socket learns of an ICMP port unreachable as Linux's does: the
 * next recv or send fails once with ECONNREFUSED (also SO_ERROR, POLLERR).
 * listen(backlog): the accept queue holds backlog + 1 connections, as on Linux;
 * SYNs beyond it are dropped (the client retransmits), not answered.
 * MSG_TRUNC: on UDP, recv/recvfrom return the datagram's full length (the copy is
 * still bounded by the buffer); on TCP it is refused with EOPNOTSUPP.
 */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The calling thread's last error (POSIX errno values); use weft_errno. */
int* weft_errno_location(void);
/** The calling thread's last error, set by a weft_* call that failed. */
#define weft_errno (*weft_errno_location())

/** As socket(2): a new Weft descriptor, owned by the caller until weft_close. */
int weft_socket(int domain, int type, int protocol);
/** As bind(2). */
int weft_bind(int fd, const struct sockaddr* addr, socklen_t len);
/** As listen(2); see the file comment for the backlog. */
int weft_listen(int fd, int backlog);
/** As accept(2); addr and len may both be NULL. */
int weft_accept(int fd, struct sockaddr* addr, socklen_t* len);
/** As accept4(2); flags: SOCK_NONBLOCK for the new descriptor. */
int weft_accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags);
/** As connect(2): blocking sockets wait (up to SO_SNDTIMEO if set), non-blocking
 * ones fail with EINPROGRESS; completion shows as POLLOUT, the outcome in
 * SO_ERROR. */
int weft_connect(int fd, const struct sockaddr* addr, socklen_t len);
/** Connects, waiting at most timeout_ms (>= 0) whatever the mode; on expiry the attempt is
 * aborted and the call fails with ETIMEDOUT. */
int weft_connect_timeout(int fd, const struct sockaddr* addr, socklen_t len, int timeout_ms);
/** As send(2); never raises SIGPIPE (EPIPE instead). */
ssize_t weft_send(int fd, const void* buf, size_t len, int flags);
/** As recv(2); 0 is end of stream. */
ssize_t weft_recv(int fd, void* buf, size_t len, int flags);
/** As sendto(2). */
ssize_t weft_sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* addr,
                    socklen_t addrlen);
/** As recvfrom(2); addr may be NULL (addrlen is then ignored). */
ssize_t weft_recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* addr,
                      socklen_t* addrlen);
/** As shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR. */
int weft_shutdown(int fd, int how);
/** Closes fd and frees its number; later calls with it fail with EBADF. */
int weft_close(int fd);
/** As setsockopt(2). Options: SOL_SOCKET: SO_REUSEADDR, SO_KEEPALIVE, SO_RCVTIMEO, SO_SNDTIMEO,
 * SO_LINGER, SO_RCVBUF, SO_SNDBUF, SO_ERROR (get), SO_TYPE (get), SO_DOMAIN (get);
 * IPPROTO_TCP: TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT.
 * SO_RCVBUF sets the TCP receive buffer (>= 64 KiB, default 256 KiB); the TCP
 * send buffer is fixed (192 KiB): set is accepted, get reports the size. */
int weft_setsockopt(int fd, int level, int name, const void* value, socklen_t len);
/** As getsockopt(2); the options of weft_setsockopt. */
int weft_getsockopt(int fd, int level, int name, void* value, socklen_t* len);
/** As getsockname(2). */
int weft_getsockname(int fd, struct sockaddr* addr, socklen_t* len);
/** As getpeername(2). */
int weft_getpeername(int fd, struct sockaddr* addr, socklen_t* len);
/** on != 0: non-blocking (EAGAIN instead of waiting). */
int weft_set_nonblocking(int fd, int on);
/** poll(2) over Weft descriptors; unknown ones get POLLNVAL. */
int weft_poll(struct pollfd* fds, nfds_t count, int timeout_ms);
/** fd mode: turns a connected TCP descriptor into a kernel fd (one end of an
 * AF_UNIX stream socketpair bridged to the connection) for the application's own
 * poll/epoll loop. fd is consumed; the caller closes the returned kernel fd.
 * A reset connection shows on it as EOF / EPIPE. */
int weft_export_fd(int fd);

/* ---- Development only --------------------------------------------------- */
/** Starts this process's stack on a DEV LINK: Ethernet frames as plain UDP
 * datagrams to one peer process. UNENCRYPTED AND UNAUTHENTICATED; for tests and
 * benchmarks on loopback. Strings are numeric ("02:00:00:00:00:01",
 * "10.9.0.1", "fd00::1", "127.0.0.1:9000"); ipv4 or ipv6 may be NULL. */
struct weft_dev_config {
  const char* mac;  /**< the stack's Ethernet MAC */
  const char* ipv4; /**< IPv4 address, or NULL */
  int ipv4_prefix;  /**< its prefix length */
  const char* ipv6; /**< IPv6 address, or NULL */
  const char* bind; /**< local UDP endpoint of the link */
  const char* peer; /**< the peer's UDP endpoint */
  unsigned mtu;     /**< 0: 1500 */
};
/** Starts the dev-link stack of weft_dev_config; once per process (then EEXIST). */
int weft_dev_start(const struct weft_dev_config* config);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_WEFT_H */
