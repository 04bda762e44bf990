# Expression landscapes (mf.landscape.expr): Lua tests run by the mflab executable.
file(GLOB MFLAB_EXPR_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/expr/test_*.lua)
foreach(src ${MFLAB_EXPR_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME expr.${name} COMMAND ${MFLAB_EXE} ${src})
  set_tests_properties(expr.${name} PROPERTIES LABELS "expr" TIMEOUT 300)
endforeach()
