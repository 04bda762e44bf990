# API tests written in Lua, run by the mflab executable.
file(GLOB MFLAB_LUA_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/lua/test_*.lua)
foreach(src ${MFLAB_LUA_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME lua.${name} COMMAND ${MFLAB_EXE} ${src})
  set_tests_properties(lua.${name} PROPERTIES LABELS "lua" TIMEOUT 600 SKIP_RETURN_CODE 77)
endforeach()
add_test(NAME lua.help_determinism COMMAND bash ${CMAKE_SOURCE_DIR}/tests/lua/help_determinism.sh ${MFLAB_EXE})
set_tests_properties(lua.help_determinism PROPERTIES LABELS "lua" TIMEOUT 300)
