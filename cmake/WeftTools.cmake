# `cmake --build <dir> --target format|format-check|lint`
file(GLOB_RECURSE WEFT_ALL_SOURCES CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/src/*.cpp ${PROJECT_SOURCE_DIR}/src/*.hpp
     ${PROJECT_SOURCE_DIR}/include/*.h ${PROJECT_SOURCE_DIR}/include/*.hpp
     ${PROJECT_SOURCE_DIR}/tests/*.cpp ${PROJECT_SOURCE_DIR}/tests/*.hpp
     ${PROJECT_SOURCE_DIR}/bench/*.cpp ${PROJECT_SOURCE_DIR}/examples/*.cpp)
file(GLOB_RECURSE WEFT_SRC_CPP CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/*.cpp)

find_program(CLANG_FORMAT NAMES clang-format clang-format-14)
find_program(CLANG_TIDY NAMES clang-tidy clang-tidy-14)
if(CLANG_FORMAT)
  add_custom_target(format COMMAND ${CLANG_FORMAT} -i ${WEFT_ALL_SOURCES}
                    COMMENT "clang-format: rewriting sources")
  add_custom_target(format-check COMMAND ${CLANG_FORMAT} --dry-run --Werror ${WEFT_ALL_SOURCES}
                    COMMENT "clang-format: checking sources")
endif()
if(CLANG_TIDY)
  add_custom_target(lint COMMAND ${CLANG_TIDY} -p ${CMAKE_BINARY_DIR} --quiet ${WEFT_SRC_CPP}
                    COMMENT "clang-tidy over src/")
endif()
