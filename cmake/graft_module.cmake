# graft_module(NAME <module> [DEPS <targets>...] [TEST_DEPS <targets>...])
#
# One module = one folder under src/: every foo.cc (not *_test.cc, not *_fuzz.cc) goes into
# the static library graft_<module>; every foo_test.cc into the test binary <module>_test,
# registered with CTest one test case at a time.
function(graft_module)
  cmake_parse_arguments(ARG "" "NAME" "DEPS;TEST_DEPS" ${ARGN})
  set(dir "${CMAKE_SOURCE_DIR}/src/${ARG_NAME}")
  file(GLOB all_sources CONFIGURE_DEPENDS "${dir}/*.cc")
  set(lib_sources "")
  set(test_sources "")
  foreach(source IN LISTS all_sources)
    if(source MATCHES "_test\\.cc$")
      list(APPEND test_sources "${source}")
    elseif(NOT source MATCHES "(_fuzz|/main)\\.cc$")
      list(APPEND lib_sources "${source}")
    endif()
  endforeach()

  if(lib_sources)
    add_library(graft_${ARG_NAME} STATIC ${lib_sources})
    target_include_directories(graft_${ARG_NAME} PUBLIC "${CMAKE_SOURCE_DIR}/src")
    target_link_libraries(graft_${ARG_NAME} PUBLIC ${ARG_DEPS})
  else()  # a module whose first sources have not landed yet
    add_library(graft_${ARG_NAME} INTERFACE)
    target_include_directories(graft_${ARG_NAME} INTERFACE "${CMAKE_SOURCE_DIR}/src")
    target_link_libraries(graft_${ARG_NAME} INTERFACE ${ARG_DEPS})
  endif()

  if(test_sources)
    add_executable(${ARG_NAME}_test ${test_sources})
    target_link_libraries(${ARG_NAME}_test PRIVATE graft_${ARG_NAME} ${ARG_TEST_DEPS}
                          GTest::gmock GTest::gtest_main)
    target_compile_definitions(${ARG_NAME}_test PRIVATE
      GRAFT_CONFORMANCE_DIR="${GRAFT_CONFORMANCE_DIR}"
      GRAFT_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
      GRAFT_BINARY="$<TARGET_FILE:graft>")
    gtest_discover_tests(${ARG_NAME}_test DISCOVERY_MODE PRE_TEST
                         PROPERTIES LABELS ${ARG_NAME} TIMEOUT 300)
  endif()
endfunction()
