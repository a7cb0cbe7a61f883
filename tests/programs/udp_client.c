/* udp_client HOST PORT
 *
 * Against echo_server's UDP side, datagrams of 1, 100, 1400 and 8000 bytes,
 * each with its own pattern:
 *  1. sendto/recvfrom, one at a time;
 *  2. sendmsg (each datagram gathered from two iovecs) of all four at once,
 *     then recvmsg until all four are back, in any order;
 *  3. a connect()ed UDP socket (getpeername must be the server) using send/recv.
 * Every reply must be one whole datagram equal to what was sent (boundaries
 * kept, no MSG_TRUNC) from exactly HOST PORT. UDP may drop: a datagram with
 * no echo within 1 s is sent again, up to 5 times; a late duplicate of one
 * already answered is skipped. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "prog_common.h"

enum { kCount = 4, kTries = 5, kReplyWaitMs = 1000, kMaxDatagram = 65536 };
static const size_t kSizes[kCount] = {1, 100, 1400, 8000};

static uint8_t g_data[kCount][8000];
static uint8_t g_reply[kMaxDatagram];

static uint32_t stream_of(int i) { return 20 + (uint32_t)i; }

/* Which datagram a reply echoes, or exits if it matches none. */
static int identify(const uint8_t* buf, size_t n, const char* what) {
  for (int i = 0; i < kCount; ++i) {
    if (kSizes[i] != n) continue;
    const size_t bad = pattern_mismatch(buf, n, stream_of(i), 0);
    if (bad != n) prog_fail("%s: %zu-byte reply differs at byte %zu", what, n, bad);
    return i;
  }
  prog_fail("%s: a %zu-byte reply, no datagram of that size was sent", what, n);
}

static int readable_within(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  for (;;) {
    const int n = poll(&p, 1, ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) prog_fail_errno("poll");
    return n > 0;
  }
}

static void check_source(const struct sockaddr_storage* from, const ProgAddr* server,
                         const char* what) {
  char got[80];
  char want[80];
  if (!prog_addr_equal((const struct sockaddr*)from, (const struct sockaddr*)&server->ss)) {
    prog_fail("%s: reply came from %s, expected %s", what,
              prog_addr_text((const struct sockaddr*)from, got, sizeof got),
              prog_addr_text((const struct sockaddr*)&server->ss, want, sizeof want));
  }
}

static void by_sendto(int fd, const ProgAddr* server) {
  for (int i = 0; i < kCount; ++i) {
    int done = 0;
    for (int t = 0; t < kTries && !done; ++t) {
      const ssize_t k =
          sendto(fd, g_data[i], kSizes[i], 0, (const struct sockaddr*)&server->ss, server->len);
      if (k != (ssize_t)kSizes[i]) prog_fail_errno("sendto %zu bytes", kSizes[i]);
      while (!done && readable_within(fd, kReplyWaitMs)) {
        struct sockaddr_storage from;
        socklen_t len = sizeof from;
        const ssize_t r = recvfrom(fd, g_reply, sizeof g_reply, 0, (struct sockaddr*)&from, &len);
        if (r < 0) prog_fail_errno("recvfrom");
        check_source(&from, server, "recvfrom");
        done = identify(g_reply, (size_t)r, "recvfrom") == i;
      }
    }
    if (!done)
      prog_fail("sendto: no echo of the %zu-byte datagram after %d tries", kSizes[i], kTries);
    prog_say("sendto ok size=%zu", kSizes[i]);
  }
}

static void by_sendmsg(int fd, const ProgAddr* server) {
  int have[kCount] = {0};
  int missing = kCount;
  for (int t = 0; t < kTries && missing > 0; ++t) {
    for (int i = 0; i < kCount; ++i) {
      if (have[i]) continue;
      const size_t half = kSizes[i] / 2;
      struct iovec iov[2] = {{g_data[i], half}, {g_data[i] + half, kSizes[i] - half}};
      struct msghdr m;
      memset(&m, 0, sizeof m);
      m.msg_name = (void*)&server->ss;
      m.msg_namelen = server->len;
      m.msg_iov = iov;
      m.msg_iovlen = 2;
      if (sendmsg(fd, &m, 0) != (ssize_t)kSizes[i]) prog_fail_errno("sendmsg %zu bytes", kSizes[i]);
    }
    while (missing > 0 && readable_within(fd, kReplyWaitMs)) {
      struct sockaddr_storage from;
      struct iovec iov = {g_reply, sizeof g_reply};
      struct msghdr m;
      memset(&m, 0, sizeof m);
      m.msg_name = &from;
      m.msg_namelen = sizeof from;
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      const ssize_t r = recvmsg(fd, &m, 0);
      if (r < 0) prog_fail_errno("recvmsg");
      if ((m.msg_flags & MSG_TRUNC) != 0) prog_fail("recvmsg: MSG_TRUNC on a %zd-byte reply", r);
      check_source(&from, server, "recvmsg");
      const int i = identify(g_reply, (size_t)r, "recvmsg");
      if (!have[i]) {
        have[i] = 1;
        --missing;
      }
    }
  }
  if (missing > 0) prog_fail("sendmsg: %d datagrams never echoed after %d tries", missing, kTries);
  prog_say("sendmsg ok count=%d", kCount);
}

static void by_connected(const ProgAddr* server) {
  const int fd = socket(prog_family(server), SOCK_DGRAM, 0);
  if (fd < 0) prog_fail_errno("socket");
  if (connect(fd, (const struct sockaddr*)&server->ss, server->len) != 0)
    prog_fail_errno("connect");
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  if (getpeername(fd, (struct sockaddr*)&peer, &plen) != 0) prog_fail_errno("getpeername");
  check_source(&peer, server, "getpeername");
  for (int i = 0; i < kCount; ++i) {
    int done = 0;
    for (int t = 0; t < kTries && !done; ++t) {
      if (send(fd, g_data[i], kSizes[i], 0) != (ssize_t)kSizes[i]) prog_fail_errno("send");
      while (!done && readable_within(fd, kReplyWaitMs)) {
        const ssize_t r = recv(fd, g_reply, sizeof g_reply, 0);
        if (r < 0) prog_fail_errno("recv");
        done = identify(g_reply, (size_t)r, "connected recv") == i;
      }
    }
    if (!done) prog_fail("connected: no echo of the %zu-byte datagram", kSizes[i]);
  }
  close(fd);
  prog_say("connected ok count=%d", kCount);
}

int main(int argc, char** argv) {
  prog_init(argv[0]);
  if (argc != 3) {
    fprintf(stderr, "usage: %s HOST PORT\n", prog_name);
    return kProgUsage;
  }
  const ProgAddr server = prog_addr(argv[1], argv[2]);
  for (int i = 0; i < kCount; ++i) pattern_fill(g_data[i], kSizes[i], stream_of(i), 0);
  const int fd = socket(prog_family(&server), SOCK_DGRAM, 0);
  if (fd < 0) prog_fail_errno("socket");
  by_sendto(fd, &server);
  by_sendmsg(fd, &server);
  close(fd);
  by_connected(&server);
  prog_say("udp_client ok");
  return 0;
}
