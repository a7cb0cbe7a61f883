#include "prog_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char* prog_name = "prog";

void prog_init(const char* argv0) {
  const char* slash = strrchr(argv0, '/');
  prog_name = slash != NULL ? slash + 1 : argv0;
}

void prog_fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog_name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fflush(stdout);
  exit(kProgFail);
}

void prog_fail_errno(const char* fmt, ...) {
  const int err = errno;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog_name);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, ": %s\n", strerror(err));
  va_end(ap);
  fflush(stdout);
  exit(kProgFail);
}

void prog_say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  putchar('\n');
  va_end(ap);
  fflush(stdout);
}

static uint64_t pattern_word(uint32_t stream, uint64_t index) {
  uint64_t x = (index + 1) * 0x9E3779B97F4A7C15ULL + (uint64_t)stream * 0xD6E8FEB86659FD93ULL;
  x ^= x >> 29U;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 32U;
  return x;
}

uint8_t pattern_byte(uint32_t stream, uint64_t offset) {
  return (uint8_t)(pattern_word(stream, offset / 8) >> ((offset % 8) * 8));
}

void pattern_fill(uint8_t* out, size_t n, uint32_t stream, uint64_t offset) {
  for (size_t i = 0; i < n; ++i) out[i] = pattern_byte(stream, offset + i);
}

size_t pattern_mismatch(const uint8_t* data, size_t n, uint32_t stream, uint64_t offset) {
  for (size_t i = 0; i < n; ++i) {
    if (data[i] != pattern_byte(stream, offset + i)) return i;
  }
  return n;
}

ProgAddr prog_addr(const char* host, const char* port) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  struct addrinfo* res = NULL;
  const int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0 || res == NULL) {
    fprintf(stderr, "%s: bad address '%s' port '%s': %s\n", prog_name, host, port,
            rc != 0 ? gai_strerror(rc) : "no result");
    exit(kProgUsage);
  }
  ProgAddr a;
  memset(&a, 0, sizeof a);
  memcpy(&a.ss, res->ai_addr, res->ai_addrlen);
  a.len = res->ai_addrlen;
  freeaddrinfo(res);
  return a;
}

int prog_family(const ProgAddr* a) { return a->ss.ss_family; }

const char* prog_addr_text(const struct sockaddr* sa, char* buf, size_t len) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in* s = (const struct sockaddr_in*)(const void*)sa;
    inet_ntop(AF_INET, &s->sin_addr, host, sizeof host);
    port = ntohs(s->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6* s = (const struct sockaddr_in6*)(const void*)sa;
    inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof host);
    port = ntohs(s->sin6_port);
  }
  snprintf(buf, len, "%s %u", host, port);
  return buf;
}

uint16_t prog_addr_port(const struct sockaddr* sa) {
  if (sa->sa_family == AF_INET)
    return ntohs(((const struct sockaddr_in*)(const void*)sa)->sin_port);
  if (sa->sa_family == AF_INET6) {
    return ntohs(((const struct sockaddr_in6*)(const void*)sa)->sin6_port);
  }
  return 0;
}

int prog_addr_equal(const struct sockaddr* a, const struct sockaddr* b) {
  if (a->sa_family != b->sa_family) return 0;
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in* x = (const struct sockaddr_in*)(const void*)a;
    const struct sockaddr_in* y = (const struct sockaddr_in*)(const void*)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    const struct sockaddr_in6* x = (const struct sockaddr_in6*)(const void*)a;
    const struct sockaddr_in6* y = (const struct sockaddr_in6*)(const void*)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return 0;
}

int prog_connect_tcp(const ProgAddr* a) {
  const int fd = socket(prog_family(a), SOCK_STREAM, 0);
  if (fd < 0) prog_fail_errno("socket");
  if (connect(fd, (const struct sockaddr*)&a->ss, a->len) != 0) prog_fail_errno("connect");
  return fd;
}

void prog_send_all(int fd, const void* data, size_t n, const char* what) {
  const uint8_t* p = data;
  while (n > 0) {
    const ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) prog_fail_errno("%s: send", what);
    p += k;
    n -= (size_t)k;
  }
}

void prog_recv_all(int fd, void* data, size_t n, const char* what) {
  uint8_t* p = data;
  while (n > 0) {
    const ssize_t k = recv(fd, p, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) prog_fail_errno("%s: recv", what);
    if (k == 0) prog_fail("%s: connection closed with %zu bytes still expected", what, n);
    p += k;
    n -= (size_t)k;
  }
}

void prog_echo_check(int fd, size_t n, uint32_t stream, const char* what) {
  enum { kChunk = 16384 };
  uint8_t out[kChunk];
  uint8_t in[kChunk];
  for (size_t off = 0; off < n;) {
    const size_t len = n - off < kChunk ? n - off : kChunk;
    pattern_fill(out, len, stream, off);
    prog_send_all(fd, out, len, what);
    prog_recv_all(fd, in, len, what);
    const size_t bad = pattern_mismatch(in, len, stream, off);
    if (bad != len) {
      prog_fail("%s: echoed byte %zu is 0x%02x, sent 0x%02x", what, off + bad, in[bad], out[bad]);
    }
    off += len;
  }
}

void prog_expect_eof(int fd, const char* what) {
  uint8_t b;
  for (;;) {
    const ssize_t k = recv(fd, &b, 1, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) prog_fail_errno("%s: recv at end", what);
    if (k > 0) prog_fail("%s: a byte came after the expected end", what);
    return;
  }
}

size_t prog_size_arg(const char* text) {
  char* end = NULL;
  errno = 0;
  const unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v > (1ULL << 32)) {
    fprintf(stderr, "%s: bad size '%s'\n", prog_name, text);
    exit(kProgUsage);
  }
  return (size_t)v;
}
