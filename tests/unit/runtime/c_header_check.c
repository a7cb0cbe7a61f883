/* weft.h must compile as C (bindings and the intercept use it). */
#include "weft/weft.h"

int weft_c_header_check(void) {
  struct weft_dev_config c = {0};
  (void)c;
  return weft_errno;
}
