if(NOT MFLAB_SANITIZE) # (see tests/install/tests.cmake)
add_test(NAME ffi COMMAND bash ${CMAKE_SOURCE_DIR}/tests/ffi/test_ffi.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(ffi PROPERTIES LABELS "install" TIMEOUT 300)
endif()
