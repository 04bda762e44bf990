# Sweeps: killed with SIGKILL at random moments and resumed, byte-identical result files.
add_test(NAME sweep.resume_kill COMMAND bash ${CMAKE_SOURCE_DIR}/tests/sweep/test_resume_kill.sh ${MFLAB_EXE})
set_tests_properties(sweep.resume_kill PROPERTIES LABELS "sweep" TIMEOUT 300)
# The same sweep files from one process and from mpirun -n 1, 2, 3 (when built with MPI).
if(MFLAB_WITH_MPI)
  add_test(NAME sweep.mpi COMMAND bash ${CMAKE_SOURCE_DIR}/tests/sweep/test_sweep_mpi.sh ${MFLAB_EXE} ${MPIEXEC_EXECUTABLE})
  set_tests_properties(sweep.mpi PROPERTIES LABELS "sweep;mpi" TIMEOUT 300)
endif()
# The 36-point example: files, heat map, --replot, --resume, another grid refused.
add_test(NAME sweep.example COMMAND bash ${CMAKE_SOURCE_DIR}/tests/sweep/test_example.sh ${MFLAB_EXE})
set_tests_properties(sweep.example PROPERTIES LABELS "sweep" TIMEOUT 300)
