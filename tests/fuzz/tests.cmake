# The fuzzer of the public Lua API (tests/fuzz/fuzz_api.lua): random and adversarial arguments,
# a per-call watchdog; fails on a crash, a hang or an error message that does not name the
# function. A quick form (20 000 calls) in every suite. In the sanitizer build (scripts/test
# --sanitize), where every memory error and undefined behaviour is fatal, a long form: up to
# 10^6 calls, time-boxed at 170 s (MFLAB_FUZZ_SECONDS) so CI stays in budget. The grace after
# an interrupt is 2 s: every long loop polls the interrupt (the record grid and the lr
# tabulation every 2^16 entries, test_interrupt_loops.lua). Both forms run with a memory budget
# of 1 GB (MFLAB_MAX_MEMORY): under ASan a single allocation of gigabytes (a run of 10^9 steps
# recorded every 4, within the default budget of half the RAM) first fills its shadow memory,
# seconds inside one calloc that no interrupt can reach; with the budget such calls are
# refused, which exercises the size checks instead.
add_test(NAME fuzz.api COMMAND ${MFLAB_EXE} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_api.lua 20000 15)
set_tests_properties(fuzz.api PROPERTIES LABELS "fuzz" TIMEOUT 600 ENVIRONMENT "MFLAB_MAX_MEMORY=1G")
if(MFLAB_SANITIZE)
  add_test(NAME fuzz.api_long COMMAND ${MFLAB_EXE} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_api.lua 1000000 20261204)
  set_tests_properties(fuzz.api_long PROPERTIES LABELS "fuzz" TIMEOUT 900
    ENVIRONMENT "MFLAB_FUZZ_SECONDS=170;MFLAB_FUZZ_BUDGET=3;MFLAB_FUZZ_GRACE=2;MFLAB_MAX_MEMORY=1G")
endif()
# The record grid and the lr tabulation stop at their first poll of a pending interrupt (the
# budget raised so a small machine still lays out the 2^26 + 1 records it then abandons).
add_test(NAME fuzz.interrupt_loops COMMAND ${MFLAB_EXE} ${CMAKE_SOURCE_DIR}/tests/fuzz/test_interrupt_loops.lua)
set_tests_properties(fuzz.interrupt_loops PROPERTIES LABELS "fuzz" TIMEOUT 120
  ENVIRONMENT "MFLAB_MAX_MEMORY=16G")
