# graft_module(NAME <module> [DEPS <targets>...] [TEST_DEPS <targets>...])
#
# One module = one folder under src/: every foo.cc (not *_test.cc, not *_fuzz.cc) goes into
# the static library graft_<module>; every foo_test.cc into the test binary <module>_test,
# registered with CTest one test case at a time.
function(graft_module)
  cmake_parse_arguments(ARG "TEST_WHOLE_ARCHIVE" "NAME" "DEPS;TEST_DEPS" ${ARGN})
  set(dir "${CMAKE_SOURCE_DIR}/src/${ARG_NAME}")
  file(GLOB all_sources CONFIGURE_DEPENDS "${dir}/*.cc")
  set(lib_sources "")
  set(test_sources "")
  set(fuzz_sources "")
  foreach(source IN LISTS all_sources)
    if(source MATCHES "_test\\.cc$")
      list(APPEND test_sources "${source}")
    elseif(source MATCHES "_fuzz\\.cc$")
      list(APPEND fuzz_sources "${source}")
    elseif(NOT source MATCHES "/main\\.cc$")
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
    # GoogleTest's headers dominate a test file's compile time: parse them once per binary.
    target_precompile_headers(${ARG_NAME}_test PRIVATE <gtest/gtest.h> <gmock/gmock.h>)
    set(module_library graft_${ARG_NAME})
    if(ARG_TEST_WHOLE_ARCHIVE)  # objects nothing references (self-registering ones) too
      set(module_library "$<LINK_LIBRARY:WHOLE_ARCHIVE,graft_${ARG_NAME}>")
    endif()
    target_link_libraries(${ARG_NAME}_test PRIVATE ${module_library} ${ARG_TEST_DEPS}
                          GTest::gmock GTest::gtest_main)
    target_compile_definitions(${ARG_NAME}_test PRIVATE
      GRAFT_CONFORMANCE_DIR="${GRAFT_CONFORMANCE_DIR}"
      GRAFT_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
      GRAFT_BINARY="$<TARGET_FILE:graft>")
    gtest_discover_tests(${ARG_NAME}_test DISCOVERY_MODE PRE_TEST
                         PROPERTIES LABELS ${ARG_NAME} TIMEOUT 300)
  endif()
  graft_fuzz_targets(${ARG_NAME} ${fuzz_sources})
endfunction()

# Each *_fuzz.cc defines LLVMFuzzerTestOneInput. With GRAFT_FUZZ=ON (clang) it becomes a
# libFuzzer binary; otherwise it is linked with tools/fuzz_driver.cc and run by ctest as a
# bounded smoke test on generated inputs.
function(graft_fuzz_targets module)
  foreach(source IN LISTS ARGN)
    get_filename_component(fuzz_name "${source}" NAME_WE)
    if(GRAFT_FUZZ)
      add_executable(${fuzz_name} "${source}")
      target_compile_options(${fuzz_name} PRIVATE -fsanitize=fuzzer,address,undefined)
      target_link_options(${fuzz_name} PRIVATE -fsanitize=fuzzer,address,undefined)
    else()
      add_executable(${fuzz_name} "${source}" "${CMAKE_SOURCE_DIR}/tools/fuzz_driver.cc")
      add_test(NAME ${fuzz_name}_smoke COMMAND ${fuzz_name})
      set_tests_properties(${fuzz_name}_smoke PROPERTIES LABELS "${module};fuzz" TIMEOUT 120)
    endif()
    target_link_libraries(${fuzz_name} PRIVATE graft_${module})
  endforeach()
endfunction()
