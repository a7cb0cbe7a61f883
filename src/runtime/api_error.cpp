#include "runtime/api_error.hpp"

#include <cstring>

namespace weft::runtime::api {

namespace {
struct LastError {
  int errnum{0};
  Error error{Error::internal};
  std::string detail;  // empty: message(error)
  std::string text;    // what last_error_text() returned
};
thread_local LastError t_last;
}  // namespace

int fail(int errnum, Error error) noexcept {
  t_last.errnum = errnum;
  t_last.error = error;
  t_last.detail.clear();
  return -1;
}

int fail(int errnum, std::string detail) {
  t_last.errnum = errnum;
  t_last.detail = std::move(detail);
  return -1;
}

int* errno_location() noexcept { return &t_last.errnum; }

const char* last_error_text() {
  if (t_last.errnum == 0) return "no error";
  t_last.text = t_last.detail.empty() ? std::string(message(t_last.error)) : t_last.detail;
  return t_last.text.c_str();
}

}  // namespace weft::runtime::api
