# The API reference from include/weft/ (docs/Doxyfile.in):
#   cmake --build <dir> --target doxygen    HTML in <dir>/docs/api
# and the test docs.public_api_documented: the same configuration with every
# warning an error, so an undocumented public declaration fails the unit tests.
find_program(WEFT_DOXYGEN NAMES doxygen)

if(WEFT_DOXYGEN)
  set(WEFT_DOXYGEN_OUTPUT ${PROJECT_BINARY_DIR}/docs)
  set(WEFT_DOXYGEN_WARN_AS_ERROR NO)
  set(WEFT_DOXYGEN_HTML YES)
  set(WEFT_DOXYGEN_XML NO)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/docs/Doxyfile @ONLY)
  add_custom_target(doxygen COMMAND ${WEFT_DOXYGEN} ${PROJECT_BINARY_DIR}/docs/Doxyfile
                    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs
                    COMMENT "doxygen: API reference in ${PROJECT_BINARY_DIR}/docs/api" VERBATIM)

  # The check writes XML only (the cheapest output that still runs doxygen's
  # undocumented-member checks) to its own directory, and reports every warning
  # before failing (FAIL_ON_WARNINGS).
  set(WEFT_DOXYGEN_OUTPUT ${PROJECT_BINARY_DIR}/docs/check)
  set(WEFT_DOXYGEN_WARN_AS_ERROR FAIL_ON_WARNINGS)
  set(WEFT_DOXYGEN_HTML NO)
  set(WEFT_DOXYGEN_XML YES)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/docs/Doxyfile.check @ONLY)
  add_test(NAME docs.public_api_documented
           COMMAND ${WEFT_DOXYGEN} ${PROJECT_BINARY_DIR}/docs/Doxyfile.check
           WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs)
  set_tests_properties(docs.public_api_documented PROPERTIES LABELS unit)
else()
  add_test(NAME docs.public_api_documented
           COMMAND sh -c "echo 'SKIPPED: doxygen not found (scripts/bootstrap.sh installs it)'; exit 77")
  set_tests_properties(docs.public_api_documented PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
endif()
