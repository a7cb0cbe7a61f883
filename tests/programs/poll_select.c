/* poll_select HOST PORT [BYTES]
 *
 * Against echo_server's TCP side, on one connection:
 *  - getsockname/getpeername: the peer is exactly HOST PORT, the local end has
 *    the same family and a port;
 *  - SO_TYPE is SOCK_STREAM, SO_DOMAIN the address family, SO_PROTOCOL TCP;
 *    TCP_NODELAY reads 0, is set, and reads back 1;
 *  - fcntl F_SETFL O_NONBLOCK shows in F_GETFL, and a recv with nothing
 *    pending then fails with EAGAIN;
 *  - BYTES (default 256 KiB) echoed non-blocking, driven by poll(), then
 *    another BYTES driven by select();
 *  - O_NONBLOCK cleared again; a dup() of the socket reports the same peer and,
 *    after the original fd is closed, carries a blocking echo, a half-close and
 *    the server's FIN.
 * Every byte checked. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "prog_common.h"

enum { kWaitMs = 30000 };

typedef enum { kByPoll, kBySelect } Waiter;

/* Waits until fd is readable, or writable when want_write; exits after kWaitMs of nothing. */
static void wait_ready(Waiter how, int fd, int want_write, int* readable, int* writable) {
  for (;;) {
    int n;
    if (how == kByPoll) {
      struct pollfd p = {fd, (short)(POLLIN | (want_write ? POLLOUT : 0)), 0};
      n = poll(&p, 1, kWaitMs);
      if (n > 0) {
        if ((p.revents & POLLNVAL) != 0) prog_fail("poll: POLLNVAL");
        *readable = (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
        *writable = (p.revents & (POLLOUT | POLLERR)) != 0;
      }
    } else {
      fd_set r;
      fd_set w;
      FD_ZERO(&r);
      FD_ZERO(&w);
      FD_SET(fd, &r);
      if (want_write) FD_SET(fd, &w);
      struct timeval tv = {kWaitMs / 1000, 0};
      n = select(fd + 1, &r, &w, NULL, &tv);
      if (n > 0) {
        *readable = FD_ISSET(fd, &r);
        *writable = FD_ISSET(fd, &w);
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) prog_fail_errno(how == kByPoll ? "poll" : "select");
    if (n == 0)
      prog_fail("%s: nothing ready in %d ms", how == kByPoll ? "poll" : "select", kWaitMs);
    return;
  }
}

/* Echoes `bytes` of stream `stream` on a non-blocking socket, reading and writing as `how` says. */
static void driven_echo(Waiter how, int fd, size_t bytes, uint32_t stream) {
  enum { kChunk = 32768 };
  uint8_t out[kChunk];
  uint8_t in[kChunk];
  size_t sent = 0;
  size_t received = 0;
  const char* what = how == kByPoll ? "poll echo" : "select echo";
  while (received < bytes) {
    int readable = 0;
    int writable = 0;
    wait_ready(how, fd, sent < bytes, &readable, &writable);
    if (writable && sent < bytes) {
      const size_t len = bytes - sent < kChunk ? bytes - sent : kChunk;
      pattern_fill(out, len, stream, sent);
      const ssize_t k = send(fd, out, len, MSG_NOSIGNAL);
      if (k > 0) {
        sent += (size_t)k;
      } else if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        prog_fail_errno("%s: send at %zu", what, sent);
      }
    }
    if (readable) {
      const ssize_t k = recv(fd, in, kChunk, 0);
      if (k == 0) prog_fail("%s: EOF after %zu of %zu bytes", what, received, bytes);
      if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        prog_fail_errno("%s: recv at %zu", what, received);
      }
      if (k > 0) {
        if (received + (size_t)k > sent) prog_fail("%s: more bytes echoed than sent", what);
        const size_t bad = pattern_mismatch(in, (size_t)k, stream, received);
        if (bad != (size_t)k) prog_fail("%s: echoed byte %zu differs", what, received + bad);
        received += (size_t)k;
      }
    }
  }
  prog_say("%s ok bytes=%zu", what, bytes);
}

static int int_opt(int fd, int level, int name, const char* what) {
  int v = -1;
  socklen_t len = sizeof v;
  if (getsockopt(fd, level, name, &v, &len) != 0) prog_fail_errno("getsockopt %s", what);
  if (len != sizeof v) prog_fail("getsockopt %s: length %u", what, (unsigned)len);
  return v;
}

static void set_nonblock(int fd, int on) {
  const int fl = fcntl(fd, F_GETFL);
  if (fl < 0) prog_fail_errno("fcntl F_GETFL");
  if (fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) != 0) {
    prog_fail_errno("fcntl F_SETFL");
  }
  const int now = fcntl(fd, F_GETFL);
  if (now < 0) prog_fail_errno("fcntl F_GETFL");
  if (((now & O_NONBLOCK) != 0) != (on != 0)) {
    prog_fail("F_GETFL after F_SETFL shows O_NONBLOCK %s", on ? "clear" : "set");
  }
}

static void check_peer(int fd, const ProgAddr* server, const char* what) {
  struct sockaddr_storage peer;
  socklen_t len = sizeof peer;
  if (getpeername(fd, (struct sockaddr*)&peer, &len) != 0) prog_fail_errno("%s: getpeername", what);
  char got[80];
  char want[80];
  if (!prog_addr_equal((struct sockaddr*)&peer, (const struct sockaddr*)&server->ss)) {
    prog_fail("%s: peer is %s, expected %s", what,
              prog_addr_text((struct sockaddr*)&peer, got, sizeof got),
              prog_addr_text((const struct sockaddr*)&server->ss, want, sizeof want));
  }
}

int main(int argc, char** argv) {
  prog_init(argv[0]);
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s HOST PORT [BYTES]\n", prog_name);
    return kProgUsage;
  }
  const ProgAddr server = prog_addr(argv[1], argv[2]);
  const size_t bytes = argc == 4 ? prog_size_arg(argv[3]) : 262144;
  const int family = prog_family(&server);
  const int fd = prog_connect_tcp(&server);
  if (fd >= FD_SETSIZE) prog_fail("fd %d does not fit select()", fd);

  check_peer(fd, &server, "socket");
  struct sockaddr_storage local;
  socklen_t llen = sizeof local;
  if (getsockname(fd, (struct sockaddr*)&local, &llen) != 0) prog_fail_errno("getsockname");
  if (local.ss_family != family)
    prog_fail("local address family %d, expected %d", local.ss_family, family);
  if (prog_addr_port((struct sockaddr*)&local) == 0) prog_fail("local port is 0");
  char ltext[80];
  char ptext[80];
  prog_say("names ok local=%s peer=%s",
           prog_addr_text((struct sockaddr*)&local, ltext, sizeof ltext),
           prog_addr_text((const struct sockaddr*)&server.ss, ptext, sizeof ptext));

  if (int_opt(fd, SOL_SOCKET, SO_TYPE, "SO_TYPE") != SOCK_STREAM)
    prog_fail("SO_TYPE is not SOCK_STREAM");
  const int domain = int_opt(fd, SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN");
  if (domain != family) prog_fail("SO_DOMAIN is %d, expected %d", domain, family);
  const int proto = int_opt(fd, SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL");
  if (proto != IPPROTO_TCP) prog_fail("SO_PROTOCOL is %d, expected IPPROTO_TCP", proto);
  if (int_opt(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY") != 0)
    prog_fail("TCP_NODELAY is set by default");
  const int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
    prog_fail_errno("setsockopt TCP_NODELAY");
  const int nodelay = int_opt(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
  if (nodelay != 1) prog_fail("TCP_NODELAY reads back %d after setting 1", nodelay);
  prog_say("sockopts ok type=SOCK_STREAM domain=%s nodelay=1",
           family == AF_INET ? "AF_INET" : "AF_INET6");

  if ((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0) prog_fail("a new socket is already O_NONBLOCK");
  set_nonblock(fd, 1);
  uint8_t b;
  if (recv(fd, &b, 1, 0) != -1 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
    prog_fail("recv on an idle O_NONBLOCK socket did not fail with EAGAIN");
  }
  prog_say("fcntl nonblock ok");

  driven_echo(kByPoll, fd, bytes, 10);
  driven_echo(kBySelect, fd, bytes, 11);

  set_nonblock(fd, 0);
  const int d = dup(fd);
  if (d < 0) prog_fail_errno("dup");
  if (d == fd) prog_fail("dup returned the same fd");
  check_peer(d, &server, "dup");
  if (close(fd) != 0) prog_fail_errno("close original");
  prog_echo_check(d, bytes, 12, "dup after closing the original");
  if (shutdown(d, SHUT_WR) != 0) prog_fail_errno("shutdown dup");
  prog_expect_eof(d, "dup");
  close(d);
  prog_say("dup ok bytes=%zu", bytes);
  prog_say("poll_select ok");
  return 0;
}
