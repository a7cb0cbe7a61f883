#pragma once

/* Helpers shared by the socket test programs. Plain POSIX only: these programs
 * must know nothing of Weft, so that the same binaries show kernel behaviour
 * when run directly and the intercept's behaviour under `weft run --`. */

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Exit status for a failed check (2 is left for usage errors). */
enum { kProgFail = 1, kProgUsage = 2 };

/* The program name used in messages; set by prog_init. */
extern const char* prog_name;
void prog_init(const char* argv0);

/* A message on stderr ("NAME: ...") and exit(kProgFail). */
void prog_fail(const char* fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Same, with ": strerror(errno)" appended. */
void prog_fail_errno(const char* fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* One line on stdout, flushed at once (the tests read it through a pipe, and a
 * fork must not duplicate buffered output). */
void prog_say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/* Test data: byte k of stream `stream` is byte (k % 8) of a mixed 64-bit word
 * of (stream, k / 8), the same idea as tests/support/pattern.hpp's
 * fill_pattern, so any chunk can be made or checked on its own and different
 * parts of a run (streams) carry different bytes. */
uint8_t pattern_byte(uint32_t stream, uint64_t offset);
void pattern_fill(uint8_t* out, size_t n, uint32_t stream, uint64_t offset);
/* The first offset where `data` differs from the pattern, or n if none. */
size_t pattern_mismatch(const uint8_t* data, size_t n, uint32_t stream, uint64_t offset);

/* An address from a numeric IPv4 or IPv6 literal and a port; exits on bad input. */
typedef struct {
  struct sockaddr_storage ss;
  socklen_t len;
} ProgAddr;
ProgAddr prog_addr(const char* host, const char* port);
int prog_family(const ProgAddr* a);
/* "1.2.3.4 80" or "::1 80" into buf. */
const char* prog_addr_text(const struct sockaddr* sa, char* buf, size_t len);
/* Same family, address and port (IPv6 flow info and scope ignored). */
int prog_addr_equal(const struct sockaddr* a, const struct sockaddr* b);
uint16_t prog_addr_port(const struct sockaddr* sa);

/* A blocking TCP socket connected to `a`; exits on failure. */
int prog_connect_tcp(const ProgAddr* a);
/* Writes/reads exactly n bytes on a blocking socket; exits on error or EOF. */
void prog_send_all(int fd, const void* data, size_t n, const char* what);
void prog_recv_all(int fd, void* data, size_t n, const char* what);
/* Sends n pattern bytes of `stream` and reads the echo back in chunks small
 * enough that neither side's buffers fill, checking every byte; exits on any
 * difference. `what` names the part in messages. */
void prog_echo_check(int fd, size_t n, uint32_t stream, const char* what);
/* After shutdown(SHUT_WR): the peer must close with no more bytes. */
void prog_expect_eof(int fd, const char* what);
/* Parses a decimal size argument; exits on bad input. */
size_t prog_size_arg(const char* text);
