# Each test area keeps its own registrations in tests/<area>/tests.cmake.
set(MFLAB_EXE ${CMAKE_BINARY_DIR}/bin/mflab)
file(GLOB MFLAB_TEST_AREAS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*/tests.cmake)
foreach(f ${MFLAB_TEST_AREAS})
  include(${f})
endforeach()
