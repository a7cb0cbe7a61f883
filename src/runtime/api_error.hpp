#pragma once

// The calling thread's last error for the public C API (weft_errno and
// weft_last_error): an errno value plus either a weft::Error or a sentence
// saying what failed. Setting it is cheap (a failing non-blocking recv sets it
// in a loop); the text is composed only when asked for.

#include <string>

#include "base/error.hpp"

namespace weft::runtime::api {

// Records a failure; returns -1 for the C functions' convenience.
int fail(int errnum, Error error) noexcept;
int fail(int errnum, std::string detail);

int* errno_location() noexcept;
const char* last_error_text();

}  // namespace weft::runtime::api
