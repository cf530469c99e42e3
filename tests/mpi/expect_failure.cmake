# cmake -P script: runs COMMAND (a ;-list), which must fail within SECONDS and print
# something matching the regular expression EXPECT (stdout and stderr together).
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT ${SECONDS})
set(all "${out}\n${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "the job succeeded, but it should have failed:\n${all}")
endif()
if(rc MATCHES "timeout")
  message(FATAL_ERROR "the job did not end within ${SECONDS} s (a hang):\n${all}")
endif()
if(NOT all MATCHES "${EXPECT}")
  message(FATAL_ERROR "the job failed (${rc}) without saying '${EXPECT}':\n${all}")
endif()
message(STATUS "the job ended as expected (${rc})")
