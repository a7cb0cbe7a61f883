/* A C program linked only against libweft.so: the shared library exports the C
 * API and its documented errors work without any C++ in the program. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include "weft/weft.h"

static int expect(const char* what, int got, int want_rc, int want_errno) {
  if (got != want_rc || weft_errno != want_errno) {
    fprintf(stderr, "FAIL %s: rc %d errno %d, wanted rc %d errno %d\n", what, got, weft_errno,
            want_rc, want_errno);
    return 1;
  }
  printf("ok: %s\n", what);
  return 0;
}

int main(void) {
  int failures = 0;
  failures += expect("close of a descriptor never opened", weft_close(12345), -1, EBADF);
  failures += expect("send on a bad descriptor", (int)weft_send(-1, "x", 1, 0), -1, EBADF);
  failures += expect("dev start without a config", weft_dev_start(NULL), -1, EINVAL);
  return failures == 0 ? 0 : 1;
}
