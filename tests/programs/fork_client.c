/* fork_client HOST PORT [BYTES]
 *
 * Against echo_server's TCP side: connects, echoes part 1, then fork()s.
 * The child echoes part 2 on the inherited socket, then opens a NEW socket of
 * its own, connects it and echoes part 3 on it, and exits. The parent waits
 * for the child (which must exit 0), then echoes part 4 on the original
 * socket: the child's exit closed only its copy. Every part carries different
 * pattern bytes and is checked byte for byte; BYTES per part (default 65536).
 * Ends with a half-close and expects the server's FIN. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prog_common.h"

int main(int argc, char** argv) {
  prog_init(argv[0]);
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s HOST PORT [BYTES]\n", prog_name);
    return kProgUsage;
  }
  const ProgAddr server = prog_addr(argv[1], argv[2]);
  const size_t bytes = argc == 4 ? prog_size_arg(argv[3]) : 65536;

  const int fd = prog_connect_tcp(&server);
  prog_echo_check(fd, bytes, 1, "parent before fork");
  prog_say("parent before-fork ok bytes=%zu", bytes);

  fflush(NULL);
  const pid_t child = fork();
  if (child < 0) prog_fail_errno("fork");
  if (child == 0) {
    prog_echo_check(fd, bytes, 2, "child on inherited socket");
    prog_say("child inherited ok bytes=%zu", bytes);
    const int own = prog_connect_tcp(&server);
    prog_echo_check(own, bytes, 3, "child on new socket");
    if (shutdown(own, SHUT_WR) != 0) prog_fail_errno("child shutdown");
    prog_expect_eof(own, "child on new socket");
    close(own);
    prog_say("child new-socket ok bytes=%zu", bytes);
    exit(0);
  }

  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) prog_fail_errno("waitpid");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    prog_fail("child failed (status 0x%x)", (unsigned)status);
  }
  prog_echo_check(fd, bytes, 4, "parent after child exit");
  if (shutdown(fd, SHUT_WR) != 0) prog_fail_errno("shutdown");
  prog_expect_eof(fd, "parent after child exit");
  close(fd);
  prog_say("parent after-child ok bytes=%zu", bytes);
  prog_say("fork_client ok");
  return 0;
}
