/* epoll_connect HOST PORT [BYTES]
 * epoll_connect --refused HOST PORT
 *
 * The non-blocking connect that event loops use. First form, against
 * echo_server's TCP side: a SOCK_NONBLOCK socket's connect() must return 0 or
 * EINPROGRESS; epoll must then report EPOLLOUT and SO_ERROR must be 0. Then
 * BYTES (default 1 MiB) of pattern go out and come back with both directions
 * driven by one epoll set (partial writes and EAGAIN on either side handled as
 * they come), then a half-close, and the echo must end with EOF after exactly
 * BYTES, every byte checked.
 * --refused: PORT has no listener; the connect must end refused: EINPROGRESS
 * and then SO_ERROR == ECONNREFUSED once epoll reports the socket (read once:
 * SO_ERROR reads 0 after), or ECONNREFUSED from connect() itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "prog_common.h"

enum { kWaitMs = 30000 };

static int so_error(int fd) {
  int err = -1;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) prog_fail_errno("getsockopt SO_ERROR");
  return err;
}

/* Starts a non-blocking connect; returns connect()'s errno (0 when it returned 0). */
static int start_connect(const ProgAddr* a, int* fd) {
  *fd = socket(prog_family(a), SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (*fd < 0) prog_fail_errno("socket");
  if (connect(*fd, (const struct sockaddr*)&a->ss, a->len) == 0) return 0;
  return errno;
}

static uint32_t wait_one(int ep, int fd, const char* what) {
  struct epoll_event ev;
  for (;;) {
    const int n = epoll_wait(ep, &ev, 1, kWaitMs);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) prog_fail_errno("epoll_wait");
    if (n == 0) prog_fail("%s: nothing from epoll in %d ms", what, kWaitMs);
    if (ev.data.fd != fd) prog_fail("%s: epoll reported fd %d, not %d", what, ev.data.fd, fd);
    return ev.events;
  }
}

static void set_events(int ep, int fd, uint32_t events, int op) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(ep, op, fd, &ev) != 0) prog_fail_errno("epoll_ctl");
}

static int refused(const ProgAddr* a) {
  int fd = -1;
  const int rc = start_connect(a, &fd);
  if (rc == ECONNREFUSED) {
    prog_say("refused ok at=connect");
    close(fd);
    return 0;
  }
  if (rc == 0) prog_fail("connect succeeded; expected no listener");
  if (rc != EINPROGRESS) {
    errno = rc;
    prog_fail_errno("connect: expected EINPROGRESS or ECONNREFUSED");
  }
  const int ep = epoll_create1(0);
  if (ep < 0) prog_fail_errno("epoll_create1");
  set_events(ep, fd, EPOLLOUT, EPOLL_CTL_ADD);
  const uint32_t events = wait_one(ep, fd, "refused connect");
  if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) {
    prog_fail("refused connect: epoll events 0x%x lack EPOLLOUT/EPOLLERR/EPOLLHUP", events);
  }
  const int err = so_error(fd);
  if (err != ECONNREFUSED) {
    prog_fail("refused connect: SO_ERROR is %d (%s), expected ECONNREFUSED", err, strerror(err));
  }
  const int again = so_error(fd);
  if (again != 0) prog_fail("SO_ERROR read a second time is %d, expected 0 (cleared)", again);
  prog_say("refused ok at=so_error events=0x%x", events);
  close(ep);
  close(fd);
  return 0;
}

static int echo(const ProgAddr* a, size_t bytes) {
  int fd = -1;
  const int rc = start_connect(a, &fd);
  if (rc != 0 && rc != EINPROGRESS) {
    errno = rc;
    prog_fail_errno("connect: expected 0 or EINPROGRESS");
  }
  const int ep = epoll_create1(0);
  if (ep < 0) prog_fail_errno("epoll_create1");
  set_events(ep, fd, EPOLLOUT, EPOLL_CTL_ADD);
  const uint32_t events = wait_one(ep, fd, "connect");
  if ((events & EPOLLOUT) == 0) prog_fail("connect: epoll events 0x%x lack EPOLLOUT", events);
  const int err = so_error(fd);
  if (err != 0) prog_fail("connect: SO_ERROR %d (%s)", err, strerror(err));
  prog_say("connect ok returned=%s", rc == 0 ? "0" : "EINPROGRESS");

  enum { kChunk = 65536 };
  uint8_t* out = malloc(kChunk);
  uint8_t* in = malloc(kChunk);
  if (out == NULL || in == NULL) prog_fail("out of memory");
  size_t sent = 0;
  size_t received = 0;
  unsigned long send_eagain = 0;
  unsigned long recv_eagain = 0;
  int write_open = 1;
  set_events(ep, fd, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
  if (bytes == 0) {
    if (shutdown(fd, SHUT_WR) != 0) prog_fail_errno("shutdown");
    write_open = 0;
    set_events(ep, fd, EPOLLIN, EPOLL_CTL_MOD);
  }
  for (;;) {
    const uint32_t ev = wait_one(ep, fd, "echo");
    if (write_open && (ev & (EPOLLOUT | EPOLLERR)) != 0) {
      for (;;) {
        const size_t len = bytes - sent < kChunk ? bytes - sent : kChunk;
        pattern_fill(out, len, 9, sent);
        const ssize_t k = send(fd, out, len, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          ++send_eagain;
          break;
        }
        if (k <= 0) prog_fail_errno("send at offset %zu", sent);
        sent += (size_t)k;
        if (sent == bytes) {
          if (shutdown(fd, SHUT_WR) != 0) prog_fail_errno("shutdown");
          write_open = 0;
          set_events(ep, fd, EPOLLIN, EPOLL_CTL_MOD);
          break;
        }
      }
    }
    if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
      for (;;) {
        const ssize_t k = recv(fd, in, kChunk, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          ++recv_eagain;
          break;
        }
        if (k < 0) prog_fail_errno("recv at offset %zu", received);
        if (k == 0) {
          if (received != bytes) prog_fail("EOF after %zu of %zu echoed bytes", received, bytes);
          prog_say("epoll echo ok bytes=%zu send_eagain=%lu recv_eagain=%lu", bytes, send_eagain,
                   recv_eagain);
          free(out);
          free(in);
          close(ep);
          close(fd);
          return 0;
        }
        if (received + (size_t)k > sent) {
          prog_fail("received %zu bytes but only %zu were sent", received + (size_t)k, sent);
        }
        const size_t bad = pattern_mismatch(in, (size_t)k, 9, received);
        if (bad != (size_t)k) {
          prog_fail("echoed byte %zu is 0x%02x, sent 0x%02x", received + bad, in[bad],
                    pattern_byte(9, received + bad));
        }
        received += (size_t)k;
      }
    }
  }
}

int main(int argc, char** argv) {
  prog_init(argv[0]);
  if (argc == 4 && strcmp(argv[1], "--refused") == 0) {
    const ProgAddr a = prog_addr(argv[2], argv[3]);
    const int rc = refused(&a);
    if (rc == 0) prog_say("epoll_connect ok");
    return rc;
  }
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s HOST PORT [BYTES] | --refused HOST PORT\n", prog_name);
    return kProgUsage;
  }
  const ProgAddr a = prog_addr(argv[1], argv[2]);
  const int rc = echo(&a, argc == 4 ? prog_size_arg(argv[3]) : 1048576);
  if (rc == 0) prog_say("epoll_connect ok");
  return rc;
}
