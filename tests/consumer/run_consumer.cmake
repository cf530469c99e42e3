# cmake -P script: builds and runs tests/consumer/project against Spool.
#   MODE=find_package     installs SPOOL_BINARY_DIR into WORK_DIR/prefix, then find_package(Spool)
#   MODE=add_subdirectory the consumer adds SPOOL_SOURCE_DIR as a subdirectory
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(build ${WORK_DIR}/build)
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} --install ${SPOOL_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  if(NOT EXISTS ${WORK_DIR}/prefix/include/spool/tensor/tensor.h)
    message(FATAL_ERROR "install did not put headers under include/spool/")
  endif()
  run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${build} -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
      -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCONSUMER_MODE=find_package
      -DSPOOL_SOURCE_DIR=${SPOOL_SOURCE_DIR})  # only for the examples' sources
elseif(MODE STREQUAL "add_subdirectory")
  run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${build} -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
      -DCONSUMER_MODE=add_subdirectory -DSPOOL_SOURCE_DIR=${SPOOL_SOURCE_DIR})
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
run(${CMAKE_COMMAND} --build ${build} -j2)
run(${build}/consumer ${WORK_DIR}/consumer.tfrecord)
if(NOT last_output MATCHES "consumer ok: 3 records" OR NOT last_output MATCHES "trainer ok: accuracy")
  message(FATAL_ERROR "consumer printed unexpected output:\n${last_output}")
endif()
message(STATUS "${last_output}")
