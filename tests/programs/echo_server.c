/* echo_server HOST PORT
 *
 * TCP and UDP echo on HOST PORT (the same port number for both; with PORT 0 the
 * kernel picks the TCP port and UDP binds the same number). One thread, one
 * level-triggered epoll set: any number of TCP clients, each echoed in order
 * (when the client's reading lags, the server stops reading from it until its
 * echo is written, so no data is dropped or buffered without bound); each UDP
 * datagram goes back whole to its source. A TCP client that half-closes gets
 * the rest of its echo and then the server's FIN.
 *
 * Prints "listening HOST PORT" once both sockets are bound, and on the way out
 * "echo_server done tcp_clients=N tcp_bytes=B udp_datagrams=D". Runs until
 * SIGTERM/SIGINT or EOF on stdin (stdin that cannot be polled, e.g. /dev/null,
 * is ignored). Exits 0 unless setting up or the event loop failed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "prog_common.h"

enum Kind { kListener, kUdp, kWake, kStdin, kConn };

/* What an epoll event points at: the kind is first so any of them can be told
 * apart through data.ptr. */
typedef struct {
  enum Kind kind;
  int fd;
} Source;

enum { kConnBuffer = 65536 };

typedef struct Conn {
  Source src;
  struct Conn* prev; /* every open connection, so the exit frees them */
  struct Conn* next;
  size_t start; /* pending echo is buf[start, end) */
  size_t end;
  int read_eof;
  uint8_t buf[kConnBuffer];
} Conn;

static Conn* g_conns;

static int g_wake_write = -1;
static int g_epoll = -1;
static unsigned long long g_tcp_clients;
static unsigned long long g_tcp_bytes;
static unsigned long long g_udp_datagrams;

static void on_signal(int sig) {
  (void)sig;
  const int saved = errno;
  const char b = 1;
  if (write(g_wake_write, &b, 1) < 0) { /* the pipe is full: a wake-up is already queued */
  }
  errno = saved;
}

static void watch(Source* s, uint32_t events, int op) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.ptr = s;
  if (epoll_ctl(g_epoll, op, s->fd, &ev) != 0) prog_fail_errno("epoll_ctl fd %d", s->fd);
}

static void conn_close(Conn* c) {
  if (c->prev != NULL) c->prev->next = c->next;
  if (c->next != NULL) c->next->prev = c->prev;
  if (g_conns == c) g_conns = c->next;
  epoll_ctl(g_epoll, EPOLL_CTL_DEL, c->src.fd, NULL);
  close(c->src.fd);
  free(c);
}

/* Writes what is pending; returns 0 if the connection was closed. */
static int conn_flush(Conn* c) {
  while (c->start < c->end) {
    const ssize_t k = send(c->src.fd, c->buf + c->start, c->end - c->start, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      watch(&c->src, EPOLLOUT, EPOLL_CTL_MOD);
      return 1;
    }
    if (k < 0) {
      fprintf(stderr, "%s: client send: %s (client dropped)\n", prog_name, strerror(errno));
      conn_close(c);
      return 0;
    }
    c->start += (size_t)k;
    g_tcp_bytes += (unsigned long long)k;
  }
  c->start = c->end = 0;
  if (c->read_eof) {
    conn_close(c);
    return 0;
  }
  watch(&c->src, EPOLLIN, EPOLL_CTL_MOD);
  return 1;
}

static void conn_event(Conn* c) {
  if (c->start < c->end) {
    conn_flush(c);
    return;
  }
  const ssize_t k = recv(c->src.fd, c->buf, sizeof c->buf, 0);
  if (k < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (k < 0) {
    fprintf(stderr, "%s: client recv: %s (client dropped)\n", prog_name, strerror(errno));
    conn_close(c);
    return;
  }
  if (k == 0) {
    c->read_eof = 1;
    conn_close(c);
    return;
  }
  c->end = (size_t)k;
  conn_flush(c);
}

static void accept_clients(int listener) {
  for (;;) {
    const int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) return;
      prog_fail_errno("accept4");
    }
    Conn* c = calloc(1, sizeof *c);
    if (c == NULL) prog_fail("out of memory");
    c->src.kind = kConn;
    c->src.fd = fd;
    c->next = g_conns;
    if (g_conns != NULL) g_conns->prev = c;
    g_conns = c;
    ++g_tcp_clients;
    watch(&c->src, EPOLLIN, EPOLL_CTL_ADD);
  }
}

static void udp_event(int fd) {
  static uint8_t buf[65536];
  struct sockaddr_storage from;
  socklen_t len = sizeof from;
  const ssize_t k = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr*)&from, &len);
  if (k < 0) {
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return;
    /* An ICMP error for an earlier reply lands here; it is about that client only. */
    fprintf(stderr, "%s: udp recvfrom: %s\n", prog_name, strerror(errno));
    return;
  }
  ++g_udp_datagrams;
  if (sendto(fd, buf, (size_t)k, 0, (struct sockaddr*)&from, len) != k) {
    fprintf(stderr, "%s: udp sendto: %s (datagram dropped)\n", prog_name, strerror(errno));
  }
}

/* Binds TCP (listening) and UDP to the same address; 0 if UDP found the port taken. */
static int bind_both(const ProgAddr* want, int* tcp, int* udp, uint16_t* port) {
  *tcp = socket(prog_family(want), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (*tcp < 0) prog_fail_errno("socket(tcp)");
  const int one = 1;
  if (setsockopt(*tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    prog_fail_errno("setsockopt SO_REUSEADDR");
  }
  if (bind(*tcp, (const struct sockaddr*)&want->ss, want->len) != 0) prog_fail_errno("bind(tcp)");
  if (listen(*tcp, 128) != 0) prog_fail_errno("listen");
  ProgAddr got;
  got.len = sizeof got.ss;
  if (getsockname(*tcp, (struct sockaddr*)&got.ss, &got.len) != 0) prog_fail_errno("getsockname");
  *port = prog_addr_port((struct sockaddr*)&got.ss);

  *udp = socket(prog_family(want), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (*udp < 0) prog_fail_errno("socket(udp)");
  if (bind(*udp, (const struct sockaddr*)&got.ss, got.len) != 0) {
    if (errno == EADDRINUSE && prog_addr_port((const struct sockaddr*)&want->ss) == 0) {
      close(*tcp);
      close(*udp);
      return 0;
    }
    prog_fail_errno("bind(udp) port %u", *port);
  }
  return 1;
}

int main(int argc, char** argv) {
  prog_init(argv[0]);
  if (argc != 3) {
    fprintf(stderr, "usage: %s HOST PORT\n", prog_name);
    return kProgUsage;
  }
  const ProgAddr want = prog_addr(argv[1], argv[2]);

  int tcp = -1;
  int udp = -1;
  uint16_t port = 0;
  int tries = 0;
  while (!bind_both(&want, &tcp, &udp, &port)) {
    if (++tries == 50) prog_fail("no port free for both TCP and UDP");
  }

  int wake[2];
  if (pipe2(wake, O_NONBLOCK | O_CLOEXEC) != 0) prog_fail_errno("pipe2");
  g_wake_write = wake[1];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  g_epoll = epoll_create1(EPOLL_CLOEXEC);
  if (g_epoll < 0) prog_fail_errno("epoll_create1");
  Source listener = {kListener, tcp};
  Source dgram = {kUdp, udp};
  Source waker = {kWake, wake[0]};
  Source input = {kStdin, STDIN_FILENO};
  watch(&listener, EPOLLIN, EPOLL_CTL_ADD);
  watch(&dgram, EPOLLIN, EPOLL_CTL_ADD);
  watch(&waker, EPOLLIN, EPOLL_CTL_ADD);
  struct epoll_event in_ev = {.events = EPOLLIN, .data.ptr = &input};
  /* EPERM: stdin is a file or /dev/null, which never signals EOF through epoll. */
  if (epoll_ctl(g_epoll, EPOLL_CTL_ADD, STDIN_FILENO, &in_ev) != 0 && errno != EPERM &&
      errno != EBADF) {
    prog_fail_errno("epoll_ctl stdin");
  }

  prog_say("listening %s %u", argv[1], (unsigned)port);

  int running = 1;
  while (running) {
    struct epoll_event evs[64];
    const int n = epoll_wait(g_epoll, evs, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      prog_fail_errno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      Source* s = evs[i].data.ptr;
      switch (s->kind) {
        case kListener: accept_clients(s->fd); break;
        case kUdp: udp_event(s->fd); break;
        case kWake: running = 0; break;
        case kStdin: {
          char b[256];
          const ssize_t k = read(STDIN_FILENO, b, sizeof b);
          if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN)) running = 0;
          break;
        }
        case kConn: conn_event((Conn*)(void*)s); break;
      }
      /* A closed connection may have been freed; nothing after this uses s. */
    }
  }
  while (g_conns != NULL) conn_close(g_conns);
  prog_say("echo_server done tcp_clients=%llu tcp_bytes=%llu udp_datagrams=%llu", g_tcp_clients,
           g_tcp_bytes, g_udp_datagrams);
  return 0;
}
