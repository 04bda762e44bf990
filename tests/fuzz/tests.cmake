# The fuzzer of the public Lua API (tests/fuzz/fuzz_api.lua): random and adversarial arguments,
# a per-call watchdog; fails on a crash, a hang or an error message that does not name the
# function. A quick form (20 000 calls) in every suite; the 10^6-call form in the sanitizer
# build (scripts/test --sanitize), where every memory error and undefined behaviour is fatal.
add_test(NAME fuzz.api COMMAND ${MFLAB_EXE} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_api.lua 20000 15)
set_tests_properties(fuzz.api PROPERTIES LABELS "fuzz" TIMEOUT 600
  ENVIRONMENT "MFLAB_FUZZ_DIR=${CMAKE_BINARY_DIR}/fuzz-out/api")
if(MFLAB_SANITIZE)
  add_test(NAME fuzz.api_1e6 COMMAND ${MFLAB_EXE} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_api.lua 1000000 20261204)
  set_tests_properties(fuzz.api_1e6 PROPERTIES LABELS "fuzz" TIMEOUT 1200
    ENVIRONMENT "MFLAB_FUZZ_DIR=${CMAKE_BINARY_DIR}/fuzz-out/api_1e6")
endif()
