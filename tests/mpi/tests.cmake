# mf.parallel across MPI ranks (tests/mpi/test_mpi.sh). With MFLAB_WITH_MPI: mpirun -n 1, 2, 3
# against a run without mpirun, byte for byte; the singleton start and a build without MPI
# (testbin/mflab) against it too; an error on one rank; what a build without MPI says.
# Without MFLAB_WITH_MPI the tests that need mpirun are reported as skipped (exit 77).
set(mpi_driver ${CMAKE_SOURCE_DIR}/tests/mpi/test_mpi.sh)
if(MFLAB_WITH_MPI)
  set(mpi_nompi ${CMAKE_BINARY_DIR}/testbin/mflab)
  set(mpi_run ${MPIEXEC_EXECUTABLE})
  foreach(n 1 2 3)
    add_test(NAME mpi.n${n} COMMAND bash ${mpi_driver} layout ${MFLAB_EXE} ${mpi_nompi} ${mpi_run} ${n})
  endforeach()
  add_test(NAME mpi.abort COMMAND bash ${mpi_driver} abort ${MFLAB_EXE} ${mpi_nompi} ${mpi_run})
else()
  set(mpi_nompi ${MFLAB_EXE})
  set(mpi_run mpirun)
  foreach(name n1 n2 n3 abort)
    add_test(NAME mpi.${name} COMMAND bash ${mpi_driver} skip ${MFLAB_EXE} ${mpi_nompi} ${mpi_run})
  endforeach()
endif()
add_test(NAME mpi.local COMMAND bash ${mpi_driver} local ${MFLAB_EXE} ${mpi_nompi} ${mpi_run})
add_test(NAME mpi.notbuilt COMMAND bash ${mpi_driver} notbuilt ${MFLAB_EXE} ${mpi_nompi} ${mpi_run})
foreach(name n1 n2 n3 abort local notbuilt)
  set_tests_properties(mpi.${name} PROPERTIES LABELS "mpi" TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()
