# Warnings and sanitizers for every target defined after this file is included.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                    "$<$<COMPILE_LANGUAGE:CXX>:-Wold-style-cast;-Wnon-virtual-dtor;-Woverloaded-virtual>")
if(WEFT_WERROR)
  add_compile_options(-Werror)
endif()

if(WEFT_SANITIZE)
  add_compile_options(-fsanitize=${WEFT_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${WEFT_SANITIZE})
endif()

# The sanitizer's runtime (weft_sanitizer_runtime): a program run under `weft run`
# (LD_PRELOAD of our instrumented preload) needs it preloaded first, whether or not
# the program itself was built with the sanitizer.
if(WEFT_SANITIZE MATCHES "address|thread")
  set(weft_runtime libasan.so)
  if(WEFT_SANITIZE MATCHES "thread")
    set(weft_runtime libtsan.so)
  endif()
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${weft_runtime}
                  OUTPUT_VARIABLE weft_sanitizer_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

if(WEFT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "WEFT_FUZZ needs clang (libFuzzer)")
  endif()
  # Instrument everything for coverage; only fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
