/* A C user of the installed weft.h: one dev-link stack in this process, a UDP
 * datagram and a TCP echo between two of its own sockets (lwIP loops packets to
 * the node's own address back), and the documented errors. Exit 0 when all
 * checks pass. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <weft/weft.h>

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "FAIL %s (weft_errno %d)\n", what, weft_errno);
    failures++;
  } else {
    printf("ok: %s\n", what);
  }
}

static struct sockaddr_in at(const char* ip, unsigned short port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

static unsigned short port_of(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (weft_getsockname(fd, (struct sockaddr*)&a, &len) != 0 || len != sizeof a) return 0;
  return ntohs(a.sin_port);
}

int main(void) {
  check(weft_close(4242) == -1 && weft_errno == EBADF, "close of a descriptor never opened: EBADF");
  check(weft_dev_start(NULL) == -1 && weft_errno == EINVAL, "dev start without a config: EINVAL");

  struct weft_dev_config config = {"02:00:00:00:7c:01", "10.124.0.1",  24, NULL,
                                   "127.0.0.1:0",       "127.0.0.1:9", 0};
  check(weft_dev_start(&config) == 0, "dev start on loopback");

  /* UDP: a datagram from one socket to another, byte for byte, with its sender. */
  int a = weft_socket(AF_INET, SOCK_DGRAM, 0);
  int b = weft_socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in any = at("10.124.0.1", 0);
  check(a >= 0 && b >= 0, "two UDP sockets");
  check(weft_bind(a, (struct sockaddr*)&any, sizeof any) == 0, "bind UDP a");
  check(weft_bind(b, (struct sockaddr*)&any, sizeof any) == 0, "bind UDP b");
  unsigned short pa = port_of(a), pb = port_of(b);
  check(pa != 0 && pb != 0 && pa != pb, "getsockname gives two ephemeral ports");
  struct sockaddr_in to_b = at("10.124.0.1", pb);
  const char datagram[] = "weft-datagram";
  check(weft_sendto(a, datagram, sizeof datagram, 0, (struct sockaddr*)&to_b, sizeof to_b) ==
            (ssize_t)sizeof datagram,
        "sendto");
  char buf[64];
  struct sockaddr_in from;
  socklen_t from_len = sizeof from;
  ssize_t n = weft_recvfrom(b, buf, sizeof buf, 0, (struct sockaddr*)&from, &from_len);
  check(n == (ssize_t)sizeof datagram && memcmp(buf, datagram, sizeof datagram) == 0,
        "recvfrom returns the datagram byte for byte");
  check(from_len == sizeof from && ntohs(from.sin_port) == pa, "recvfrom names the sender");
  check(weft_close(a) == 0 && weft_close(b) == 0, "close UDP sockets");

  /* TCP: listen, connect (completes against the accept queue), echo. */
  int l = weft_socket(AF_INET, SOCK_STREAM, 0);
  check(l >= 0 && weft_bind(l, (struct sockaddr*)&any, sizeof any) == 0, "bind TCP listener");
  check(weft_listen(l, 4) == 0, "listen");
  struct sockaddr_in to_l = at("10.124.0.1", port_of(l));
  int c = weft_socket(AF_INET, SOCK_STREAM, 0);
  check(weft_connect_timeout(c, (struct sockaddr*)&to_l, sizeof to_l, 10000) == 0, "connect");
  int s = weft_accept(l, NULL, NULL);
  check(s >= 0, "accept");
  const char request[] = "ping over weft tcp";
  check(weft_send(c, request, sizeof request, 0) == (ssize_t)sizeof request, "send");
  size_t got = 0;
  while (got < sizeof request) {
    n = weft_recv(s, buf + got, sizeof buf - got, 0);
    if (n <= 0) break;
    got += (size_t)n;
  }
  check(got == sizeof request && memcmp(buf, request, got) == 0, "server receives the bytes");
  check(weft_shutdown(c, SHUT_WR) == 0, "client shuts down writing");
  check(weft_recv(s, buf, sizeof buf, 0) == 0, "server sees end of stream");
  check(weft_close(s) == 0 && weft_close(c) == 0 && weft_close(l) == 0, "close TCP sockets");
  check(weft_send(c, "x", 1, 0) == -1 && weft_errno == EBADF, "send after close: EBADF");

  printf("%s\n", failures == 0 ? "consumer.c: all checks passed" : "consumer.c: FAILED");
  return failures == 0 ? 0 : 1;
}
