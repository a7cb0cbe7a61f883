# cmake -P package_test.cmake, driven by tests/package/CMakeLists.txt:
#   STEP=install    cmake --install the build into PREFIX; check that it holds what a
#                   user needs and nothing else, and that the programs run from it
#                   (`weft run` finding the preload installed beside it)
#   STEP=cmake      configure and build consumer/ with find_package(weft) against
#                   PREFIX, run its programs (shared and static links)
#   STEP=pkgconfig  build consumer/consumer.c with cc and `pkg-config weft` (shared, then
#                   --static against libweft.a) and run both
# Other inputs: BUILD_DIR, SOURCE_DIR (tests/package), WORK_DIR, C_COMPILER,
# CXX_COMPILER, GENERATOR, MAKE_PROGRAM, PKG_CONFIG, READELF, SAN_FLAGS (the
# sanitizer flags libweft was built with: a consumer of it needs them too).
cmake_minimum_required(VERSION 3.25)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

# A program must pass its checks; a static one must not need libweft.so.
# ARGN: VAR=value settings of its environment.
function(run_program program kind)
  run(${CMAKE_COMMAND} -E env ${ARGN} ${program})
  message(STATUS "${program}:\n${run_output}")
  if(NOT run_output MATCHES "all checks passed")
    message(FATAL_ERROR "${program} did not report its checks")
  endif()
  run(${READELF} -d ${program})
  if(kind STREQUAL "static" AND run_output MATCHES "libweft")
    message(FATAL_ERROR "${program} is meant to link libweft.a but needs:\n${run_output}")
  elseif(kind STREQUAL "shared" AND NOT run_output MATCHES "NEEDED[^\n]*libweft\\.so")
    message(FATAL_ERROR "${program} is meant to link libweft.so:\n${run_output}")
  endif()
endfunction()

set(PREFIX ${WORK_DIR}/prefix)

if(STEP STREQUAL "install")
  file(REMOVE_RECURSE ${WORK_DIR})
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX})
  file(GLOB_RECURSE installed LIST_DIRECTORIES false RELATIVE ${PREFIX} ${PREFIX}/*)
  file(GLOB headers RELATIVE ${SOURCE_DIR}/../.. ${SOURCE_DIR}/../../include/weft/*)
  set(expected ${headers} lib/libweft.a lib/pkgconfig/weft.pc lib/cmake/weft/weftConfig.cmake
      lib/cmake/weft/weftConfigVersion.cmake bin/weftd bin/weft bin/weft-controller
      lib/libweft-preload.so)
  foreach(e IN LISTS expected)
    if(NOT e IN_LIST installed)
      message(FATAL_ERROR "not installed: ${e}")
    endif()
  endforeach()
  foreach(f IN LISTS installed)
    if(NOT f IN_LIST expected AND NOT f MATCHES "^lib/libweft\\.so(\\.[0-9]+)*$"
       AND NOT f MATCHES "^lib/cmake/weft/weft(Shared|Static)Targets(-[a-z]+)?\\.cmake$")
      message(FATAL_ERROR "installed but not for users: ${f}")
    endif()
  endforeach()
  if(NOT EXISTS ${PREFIX}/lib/libweft.so OR NOT EXISTS ${PREFIX}/lib/libweft.so.0)
    message(FATAL_ERROR "libweft.so and its SONAME link are not installed")
  endif()
  list(JOIN installed "\n  " listing)
  message(STATUS "installed:\n  ${listing}")
  # The programs run from the prefix.
  run(${PREFIX}/bin/weftd --version)
  run(${PREFIX}/bin/weft --version)
  run(${PREFIX}/bin/weft-controller --help)
  # `weft run` takes the preload installed beside it (then finds no daemon: 3)...
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=WEFT_PRELOAD ${PREFIX}/bin/weft run
                          --socket ${WORK_DIR}/no-daemon.sock -- true
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 3 OR err MATCHES "preload")
    message(FATAL_ERROR "installed weft run: exit ${rc} (want 3, no daemon):\n${err}")
  endif()
  # ...and, moved without it, says where it looked (never at a build tree's).
  file(COPY ${PREFIX}/bin/weft DESTINATION ${WORK_DIR}/bare/bin)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=WEFT_PRELOAD ${WORK_DIR}/bare/bin/weft run
                          --socket ${WORK_DIR}/no-daemon.sock -- true
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 1 OR NOT err MATCHES "libweft-preload.so is not at ${WORK_DIR}/bare/lib/libweft-preload.so")
    message(FATAL_ERROR "weft without its preload: exit ${rc} (want 1):\n${err}")
  endif()

elseif(STEP STREQUAL "cmake")
  set(build ${WORK_DIR}/cmake-build)
  file(REMOVE_RECURSE ${build})
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/consumer -B ${build} -G ${GENERATOR}
      -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_BUILD_TYPE=Release
      -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
      "-DCMAKE_C_FLAGS=${SAN_FLAGS}" "-DCMAKE_CXX_FLAGS=${SAN_FLAGS}"
      "-DCMAKE_EXE_LINKER_FLAGS=${SAN_FLAGS}"
      -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
      -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
  # The package must come from the prefix, not from anywhere else on the machine.
  file(STRINGS ${build}/CMakeCache.txt weft_dir REGEX "^weft_DIR:")
  if(NOT weft_dir STREQUAL "weft_DIR:PATH=${PREFIX}/lib/cmake/weft")
    message(FATAL_ERROR "find_package(weft) found ${weft_dir}, not the test prefix")
  endif()
  run(${CMAKE_COMMAND} --build ${build})
  # The dependencies of libweft.a are linked, their headers kept out of user code.
  file(READ ${build}/compile_commands.json commands)
  if(commands MATCHES "include/lwip")
    message(FATAL_ERROR "lwIP's include directory reached the user's compile:\n${commands}")
  endif()
  foreach(kind shared static)
    run_program(${build}/consumer_c_${kind} ${kind})
    run_program(${build}/consumer_cpp_${kind} ${kind})
  endforeach()

elseif(STEP STREQUAL "pkgconfig")
  # The recipes of docs/using-the-sdk.md, run by sh as a user types them.
  set(build ${WORK_DIR}/pkgconfig-build)
  file(REMOVE_RECURSE ${build})
  file(MAKE_DIRECTORY ${build})
  set(sh ${CMAKE_COMMAND} -E env PKG_CONFIG=${PKG_CONFIG} PKG_CONFIG_PATH=${PREFIX}/lib/pkgconfig sh -ec)
  set(cc "${C_COMPILER} ${SAN_FLAGS} ${SOURCE_DIR}/consumer/consumer.c")
  run(${sh} "$PKG_CONFIG --cflags --libs weft && $PKG_CONFIG --static --libs weft")
  message(STATUS "pkg-config --cflags --libs weft; --static --libs weft:\n${run_output}")
  if(run_output MATCHES "include/lwip")
    message(FATAL_ERROR "weft.pc gives users lwIP's include directory")
  endif()
  run(${sh} "${cc} $($PKG_CONFIG --cflags --libs weft) -o ${build}/c_shared")
  # No rpath, as in a user's program: the loader finds libweft.so by its path.
  run_program(${build}/c_shared shared LD_LIBRARY_PATH=${PREFIX}/lib)
  run(${sh} "${cc} $($PKG_CONFIG --cflags weft) \
             $($PKG_CONFIG --static --libs weft | sed 's/-lweft /-l:libweft.a /') -o ${build}/c_static")
  run_program(${build}/c_static static)  # and without LD_LIBRARY_PATH
else()
  message(FATAL_ERROR "unknown STEP '${STEP}'")
endif()
