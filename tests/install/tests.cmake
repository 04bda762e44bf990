add_test(NAME install COMMAND bash ${CMAKE_SOURCE_DIR}/tests/install/test_install.sh ${CMAKE_BINARY_DIR})
set_tests_properties(install PROPERTIES LABELS "install" TIMEOUT 120)
add_test(NAME install.library COMMAND bash ${CMAKE_SOURCE_DIR}/tests/install/test_library.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(install.library PROPERTIES LABELS "install" TIMEOUT 600)
