# Each test area keeps its own registrations in tests/<area>/tests.cmake.
set(MFLAB_EXE ${CMAKE_BINARY_DIR}/bin/mflab)
file(GLOB MFLAB_TEST_AREAS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*/tests.cmake)
foreach(f ${MFLAB_TEST_AREAS})
  # without the executable only the engine's own C tests can run
  if(MFLAB_WITH_CLI OR f MATCHES "/tests/c/tests.cmake$")
    include(${f})
  endif()
endforeach()
