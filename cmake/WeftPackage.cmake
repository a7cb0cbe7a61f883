# What `cmake --install` puts under the prefix, for developers linking Weft:
#   include/weft/*.h, *.hpp       the public C and C++ API (nothing internal)
#   lib/libweft.so*, lib/libweft.a
#   lib/cmake/weft/                find_package(weft CONFIG): weft::weft, weft::weft_static
#   lib/pkgconfig/weft.pc
# (lib is CMAKE_INSTALL_LIBDIR.) Nothing else of the build is installed.
include(CMakePackageConfigHelpers)

set(WEFT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/weft)

# The public headers must stand alone: an installed header including a layer's
# header would not compile for a user. Checked here, at configure time.
file(GLOB WEFT_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/weft/*.h
     ${PROJECT_SOURCE_DIR}/include/weft/*.hpp)
foreach(header IN LISTS WEFT_PUBLIC_HEADERS)
  file(STRINGS ${header} includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS includes)
    if(NOT line MATCHES "\"weft/[a-z_]+\\.hp?p?\"")
      message(FATAL_ERROR "${header}: a public header includes a non-public header: ${line}")
    endif()
  endforeach()
endforeach()

# libweft.a's system libraries (src/runtime: weft_static's WEFT_EXTERNAL_DEPS), as the
# installed package names them, how its config file finds them, and their pkg-config
# modules for weft.pc. pkg-config targets get a weft_ prefix so the config file does
# not clash with a user's own pkg_check_modules(sodium ...).
get_target_property(_weft_deps weft_static WEFT_EXTERNAL_DEPS)
set(WEFT_CONFIG_FIND_DEPS "")
set(WEFT_PC_REQUIRES_PRIVATE "")
set(WEFT_PC_LIBS_PRIVATE "-lstdc++ -lm")  # the C++ runtime, for a C program
foreach(dep IN LISTS _weft_deps)
  if(dep STREQUAL "fmt::fmt")
    set(installed fmt::fmt)
    string(APPEND WEFT_CONFIG_FIND_DEPS "  _weft_find_package(fmt::fmt fmt CONFIG)\n")
    list(APPEND WEFT_PC_REQUIRES_PRIVATE fmt)
  elseif(dep STREQUAL "OpenSSL::Crypto")
    set(installed OpenSSL::Crypto)
    string(APPEND WEFT_CONFIG_FIND_DEPS "  _weft_find_package(OpenSSL::Crypto OpenSSL 3 COMPONENTS Crypto)\n")
    list(APPEND WEFT_PC_REQUIRES_PRIVATE libcrypto)
  elseif(dep STREQUAL "PkgConfig::sodium")
    set(installed PkgConfig::weft_sodium)
    string(APPEND WEFT_CONFIG_FIND_DEPS "  _weft_pkg_module(weft_sodium libsodium)\n")
    list(APPEND WEFT_PC_REQUIRES_PRIVATE libsodium)
  elseif(dep STREQUAL "PkgConfig::lwip")
    set(installed PkgConfig::weft_lwip)
    string(APPEND WEFT_CONFIG_FIND_DEPS "  _weft_pkg_module(weft_lwip lwip)\n")
    # Not Requires.private: pkg-config would add lwip's Cflags (-I/usr/include/lwip:
    # an lwipopts.h, arch/, netif/) to every user's compile, clashing with a
    # user's own lwIP; Weft's public headers need none of it.
    string(APPEND WEFT_PC_LIBS_PRIVATE " -llwip")
  else()
    message(FATAL_ERROR "libweft.a links ${dep}: teach cmake/WeftPackage.cmake how an "
                        "installed package finds it (config file and weft.pc)")
  endif()
  # LINK_ONLY: the user's program links them but needs none of their headers.
  target_link_libraries(weft_static INTERFACE $<INSTALL_INTERFACE:$<LINK_ONLY:${installed}>>)
endforeach()
list(JOIN WEFT_PC_REQUIRES_PRIVATE " " WEFT_PC_REQUIRES_PRIVATE)

target_include_directories(weft INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_include_directories(weft_static INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

install(FILES ${WEFT_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/weft)
# Two export sets, so a user of the shared library alone needs none of the static
# library's dependencies installed (see weftConfig.cmake.in).
install(TARGETS weft EXPORT weftSharedTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS weft_static EXPORT weftStaticTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT weftSharedTargets NAMESPACE weft:: DESTINATION ${WEFT_INSTALL_CMAKEDIR})
install(EXPORT weftStaticTargets NAMESPACE weft:: DESTINATION ${WEFT_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/package/weftConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/weftConfig.cmake INSTALL_DESTINATION ${WEFT_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/weftConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/weftConfig.cmake
              ${PROJECT_BINARY_DIR}/package/weftConfigVersion.cmake
        DESTINATION ${WEFT_INSTALL_CMAKEDIR})

# weft.pc finds the prefix from its own place (${pcfiledir}), so the package stays
# right when installed with `cmake --install --prefix` elsewhere than configured.
set(WEFT_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(WEFT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")  # not relocatable: libdir is fixed
else()
  file(RELATIVE_PATH _weft_up /prefix/${WEFT_PC_DIR} /prefix)
  string(REGEX REPLACE "/$" "" _weft_up "${_weft_up}")
  set(WEFT_PC_PREFIX "\${pcfiledir}/${_weft_up}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(WEFT_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(WEFT_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/package/weft.pc.in ${PROJECT_BINARY_DIR}/package/weft.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/weft.pc DESTINATION ${WEFT_PC_DIR})
