# Sweeps: killed with SIGKILL at random moments and resumed, byte-identical result files.
add_test(NAME sweep.resume_kill COMMAND bash ${CMAKE_SOURCE_DIR}/tests/sweep/test_resume_kill.sh ${MFLAB_EXE})
set_tests_properties(sweep.resume_kill PROPERTIES LABELS "sweep" TIMEOUT 300)
