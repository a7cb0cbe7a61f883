/* exec_client HOST PORT [BYTES]
 *
 * Against echo_server's TCP side, through execve'd children (this same
 * program, re-executed through /proc/self/exe, or argv[0] where /proc is
 * missing):
 *  1. a child run as `--child HOST PORT BYTES` connects on its own and echoes;
 *  2. the parent connects and echoes, then runs a child as
 *     `--fd N HOST PORT BYTES`, N being that socket (FD_CLOEXEC clear), which
 *     checks the socket's type and peer and echoes on it; after that child
 *     exited, the parent echoes again on the same socket.
 * Each child must exit 0; every part carries different pattern bytes and is
 * checked byte for byte; BYTES per part (default 65536). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prog_common.h"

static const char* g_self;

static void run_child(char* const args[]) {
  fflush(NULL);
  const pid_t pid = fork();
  if (pid < 0) prog_fail_errno("fork");
  if (pid == 0) {
    execv(g_self, args);
    fprintf(stderr, "%s: execv %s: %s\n", prog_name, g_self, strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) prog_fail_errno("waitpid");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    prog_fail("child %s failed (status 0x%x)", args[1], (unsigned)status);
  }
}

static int child_connect(const char* host, const char* port, size_t bytes) {
  const ProgAddr server = prog_addr(host, port);
  const int fd = prog_connect_tcp(&server);
  prog_echo_check(fd, bytes, 5, "exec'd child");
  if (shutdown(fd, SHUT_WR) != 0) prog_fail_errno("shutdown");
  prog_expect_eof(fd, "exec'd child");
  close(fd);
  prog_say("exec child connect ok bytes=%zu", bytes);
  return 0;
}

static int child_fd(const char* fd_text, const char* host, const char* port, size_t bytes) {
  const int fd = (int)prog_size_arg(fd_text);
  const ProgAddr server = prog_addr(host, port);
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    prog_fail_errno("inherited fd %d: getsockopt SO_TYPE", fd);
  }
  if (type != SOCK_STREAM) prog_fail("inherited fd %d: SO_TYPE %d, not SOCK_STREAM", fd, type);
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  if (getpeername(fd, (struct sockaddr*)&peer, &plen) != 0) {
    prog_fail_errno("inherited fd %d: getpeername", fd);
  }
  char got[80];
  char want[80];
  if (!prog_addr_equal((struct sockaddr*)&peer, (const struct sockaddr*)&server.ss)) {
    prog_fail("inherited fd %d: peer is %s, expected %s", fd,
              prog_addr_text((struct sockaddr*)&peer, got, sizeof got),
              prog_addr_text((const struct sockaddr*)&server.ss, want, sizeof want));
  }
  prog_echo_check(fd, bytes, 7, "exec'd child on inherited fd");
  prog_say("exec child fd ok fd=%d bytes=%zu", fd, bytes);
  return 0;
}

int main(int argc, char** argv) {
  prog_init(argv[0]);
  if (argc == 5 && strcmp(argv[1], "--child") == 0) {
    return child_connect(argv[2], argv[3], prog_size_arg(argv[4]));
  }
  if (argc == 6 && strcmp(argv[1], "--fd") == 0) {
    return child_fd(argv[2], argv[3], argv[4], prog_size_arg(argv[5]));
  }
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s HOST PORT [BYTES]\n", prog_name);
    return kProgUsage;
  }
  g_self = access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : argv[0];
  const ProgAddr server = prog_addr(argv[1], argv[2]);
  const size_t bytes = argc == 4 ? prog_size_arg(argv[3]) : 65536;
  char bytes_text[32];
  snprintf(bytes_text, sizeof bytes_text, "%zu", bytes);

  char* connect_args[] = {argv[0], "--child", argv[1], argv[2], bytes_text, NULL};
  run_child(connect_args);
  prog_say("exec connect ok");

  const int fd = prog_connect_tcp(&server);
  prog_echo_check(fd, bytes, 6, "parent before exec");
  const int flags = fcntl(fd, F_GETFD);
  if (flags < 0) prog_fail_errno("fcntl F_GETFD");
  if ((flags & FD_CLOEXEC) != 0) prog_fail("a plain socket() came with FD_CLOEXEC set");
  char fd_text[16];
  snprintf(fd_text, sizeof fd_text, "%d", fd);
  char* fd_args[] = {argv[0], "--fd", fd_text, argv[1], argv[2], bytes_text, NULL};
  run_child(fd_args);
  prog_echo_check(fd, bytes, 8, "parent after exec'd child");
  if (shutdown(fd, SHUT_WR) != 0) prog_fail_errno("shutdown");
  prog_expect_eof(fd, "parent after exec'd child");
  close(fd);
  prog_say("exec inherited-fd ok fd=%s", fd_text);
  prog_say("exec_client ok");
  return 0;
}
