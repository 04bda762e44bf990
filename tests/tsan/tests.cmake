# ThreadSanitizer on the interrupt flags (not in the ASan build: the two cannot be combined).
if(NOT MFLAB_SANITIZE)
  foreach(variant tsan_interrupt tsan_interrupt_control)
    add_executable(${variant} ${CMAKE_SOURCE_DIR}/tests/tsan/tsan_interrupt.c
                              ${CMAKE_SOURCE_DIR}/engine/src/core/interrupt.c)
    target_include_directories(${variant} PRIVATE ${CMAKE_SOURCE_DIR}/engine/include)
    target_compile_options(${variant} PRIVATE -fsanitize=thread -g -O1)
    target_link_options(${variant} PRIVATE -fsanitize=thread)
    target_link_libraries(${variant} PRIVATE Threads::Threads)
    set_target_properties(${variant} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  endforeach()
  target_compile_definitions(tsan_interrupt_control PRIVATE RACE_CONTROL=1)
  add_test(NAME tsan.interrupt COMMAND tsan_interrupt)
  # the control writes the flag without an atomic: TSan must report it (exit status 66)
  add_test(NAME tsan.interrupt_control COMMAND tsan_interrupt_control)
  set_tests_properties(tsan.interrupt tsan.interrupt_control PROPERTIES LABELS "c" TIMEOUT 120
                       ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1:exitcode=66")
  set_tests_properties(tsan.interrupt_control PROPERTIES WILL_FAIL TRUE)
endif()
