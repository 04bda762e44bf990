# The fuzzer of the public Lua API (tests/fuzz/fuzz_api.lua): random and adversarial arguments,
# a per-call watchdog; fails on a crash, a hang or an error message that does not name the
# function. A quick form (20 000 calls) in every suite. In the sanitizer build (scripts/test
# --sanitize), where every memory error and undefined behaviour is fatal, a long form: up to
# 10^6 calls, time-boxed at 170 s (MFLAB_FUZZ_SECONDS) so CI stays in budget. The grace after
# an interrupt is 10 s there: a flow of 10^9 steps recorded every 4 first fills its record
# times (2.5e8 of them, 2 GB; runloop.c's grid has no interrupt check), which under ASan on a
# loaded machine took longer than 3 s.
add_test(NAME fuzz.api COMMAND ${MFLAB_EXE} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_api.lua 20000 15)
set_tests_properties(fuzz.api PROPERTIES LABELS "fuzz" TIMEOUT 600)
if(MFLAB_SANITIZE)
  add_test(NAME fuzz.api_long COMMAND ${MFLAB_EXE} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_api.lua 1000000 20261204)
  set_tests_properties(fuzz.api_long PROPERTIES LABELS "fuzz" TIMEOUT 900
    ENVIRONMENT "MFLAB_FUZZ_SECONDS=170;MFLAB_FUZZ_BUDGET=3;MFLAB_FUZZ_GRACE=10")
endif()
