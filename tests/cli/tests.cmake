# The mflab executable: options, scripts, errors, the REPL (pipe and terminal), Ctrl-C.
add_test(NAME cli COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/test_cli.sh ${MFLAB_EXE})
set_tests_properties(cli PROPERTIES LABELS "cli" TIMEOUT 300)
# mf.experiment through the executable: the command line, the output folder, require paths.
add_test(NAME cli.experiment COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/test_experiment.sh ${MFLAB_EXE})
set_tests_properties(cli.experiment PROPERTIES LABELS "cli" TIMEOUT 300)
# Runtime instruction-set dispatch: the same bits on every path the CPU can run, MFLAB_ISA.
add_test(NAME cli.isa COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/test_isa.sh ${MFLAB_EXE})
set_tests_properties(cli.isa PROPERTIES LABELS "cli" TIMEOUT 300)
# The matrix-factorization projection gives the committed bits on every path.
add_test(NAME cli.mf_project_bits COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/test_mf_project_bits.sh ${MFLAB_EXE})
set_tests_properties(cli.mf_project_bits PROPERTIES LABELS "cli" TIMEOUT 120)
