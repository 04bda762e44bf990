# mf.plot (lua/mflab/plot.lua): figures drawn by gnuplot. The test exits with
# status 77 (reported as skipped) when gnuplot is not installed.
add_test(NAME plot COMMAND ${MFLAB_EXE} ${CMAKE_SOURCE_DIR}/tests/plot/test_plot.lua)
set_tests_properties(plot PROPERTIES LABELS "lua;plot" TIMEOUT 300 SKIP_RETURN_CODE 77)
