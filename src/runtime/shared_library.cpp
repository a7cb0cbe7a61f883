// libweft.so is the whole runtime archive (see CMakeLists.txt); CMake wants at least
// one source of its own for a shared library, and this is it.
