# mf.plot (lua/mflab/plot.lua): figures drawn by gnuplot. The test exits with
# status 77 (reported as skipped) when gnuplot is not installed.
add_test(NAME plot COMMAND ${MFLAB_EXE} ${CMAKE_SOURCE_DIR}/tests/plot/test_plot.lua)
set_tests_properties(plot PROPERTIES LABELS "lua;plot" TIMEOUT 300 SKIP_RETURN_CODE 77)
# Fault paths of p:save (fake gnuplots, a full tmpfs, signals during a save); skipped (77)
# without gnuplot.
add_test(NAME plot_faults COMMAND bash ${CMAKE_SOURCE_DIR}/tests/plot/test_faults.sh ${MFLAB_EXE})
set_tests_properties(plot_faults PROPERTIES LABELS "plot" TIMEOUT 300 SKIP_RETURN_CODE 77)
