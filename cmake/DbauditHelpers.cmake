# dbaudit_add_test(NAME name SOURCES a_test.cc ... DEPS lib ...)
# One gtest executable per module; tests are discovered and run from the source root so that
# relative paths such as ../shared/corpus resolve the same way in every build directory.
function(dbaudit_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(NOT DBAUDIT_BUILD_TESTS)
    return()
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${T_NAME} PRIVATE
    DBAUDIT_SOURCE_DIR="${DBAUDIT_SOURCE_DIR}"
    DBAUDIT_SHARED_DIR="${DBAUDIT_SHARED_DIR}"
    DBAUDIT_BINARY_DIR="${CMAKE_BINARY_DIR}")
  gtest_discover_tests(${T_NAME}
    WORKING_DIRECTORY ${DBAUDIT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT 600)
endfunction()

# dbaudit_add_fuzzer(NAME name SOURCES f.cc DEPS lib ...): libFuzzer target, only with DBAUDIT_FUZZ.
function(dbaudit_add_fuzzer)
  cmake_parse_arguments(F "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(NOT DBAUDIT_FUZZ)
    return()
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  target_link_libraries(${F_NAME} PRIVATE ${F_DEPS})
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
endfunction()
