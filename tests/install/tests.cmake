add_test(NAME install COMMAND bash ${CMAKE_SOURCE_DIR}/tests/install/test_install.sh ${CMAKE_BINARY_DIR})
set_tests_properties(install PROPERTIES LABELS "install" TIMEOUT 120)
# The library as outside programs use it (C, C++, lua5.4, LuaJIT): in the sanitizer build those
# programs would load an instrumented libmflab without the ASan runtime first, so the packaging
# tests run in the ordinary build only.
if(NOT MFLAB_SANITIZE)
add_test(NAME install.library COMMAND bash ${CMAKE_SOURCE_DIR}/tests/install/test_library.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
set_tests_properties(install.library PROPERTIES LABELS "install" TIMEOUT 600)
endif()
