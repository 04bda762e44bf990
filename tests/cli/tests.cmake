# The mflab executable: options, scripts, errors, the REPL (pipe and terminal), Ctrl-C.
add_test(NAME cli COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/test_cli.sh ${MFLAB_EXE})
set_tests_properties(cli PROPERTIES LABELS "cli" TIMEOUT 300)
