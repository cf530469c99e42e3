# SPOOL_ALLOCATOR: the malloc that Spool's own programs run on (the spool command, the
# benchmarks, the test programs). A replacement malloc serves the whole process, so
# only Spool's executables link it, through spool_link_allocator(); the libraries an
# embedding program links (spool::spool) never do, and it keeps its own allocator.
# mimalloc is the default: a pipeline makes and frees many small short-lived buffers
# across threads, which it serves faster than glibc malloc (bench/pipeline/
# allocator_compare.sh measures all three).
# A sanitizer build runs on the sanitizer's allocator whatever is linked, so there the
# default is glibc and another choice is refused rather than silently not measured.
if(SPOOL_SANITIZE)
  set(spool_default_allocator glibc)
else()
  set(spool_default_allocator mimalloc)
endif()
set(SPOOL_ALLOCATOR ${spool_default_allocator} CACHE STRING
    "malloc of Spool's executables (not of the library): glibc, mimalloc or jemalloc")
set_property(CACHE SPOOL_ALLOCATOR PROPERTY STRINGS glibc mimalloc jemalloc)

set(SPOOL_ALLOCATOR_LIBRARY "")
if(SPOOL_ALLOCATOR STREQUAL "glibc")
elseif(SPOOL_ALLOCATOR MATCHES "^(mimalloc|jemalloc)$")
  if(SPOOL_SANITIZE)
    message(FATAL_ERROR "SPOOL_ALLOCATOR=${SPOOL_ALLOCATOR} with SPOOL_SANITIZE=${SPOOL_SANITIZE}: the "
                        "sanitizer replaces malloc itself; configure with -DSPOOL_ALLOCATOR=glibc")
  endif()
  # One cache entry per allocator, so that switching SPOOL_ALLOCATOR finds the new one.
  string(TOUPPER ${SPOOL_ALLOCATOR} upper)
  find_library(SPOOL_${upper}_LIBRARY NAMES ${SPOOL_ALLOCATOR})
  if(NOT SPOOL_${upper}_LIBRARY)
    message(FATAL_ERROR "SPOOL_ALLOCATOR=${SPOOL_ALLOCATOR}: lib${SPOOL_ALLOCATOR} not found; install "
                        "Debian's lib${SPOOL_ALLOCATOR}-dev, or configure with -DSPOOL_ALLOCATOR=glibc")
  endif()
  set(SPOOL_ALLOCATOR_LIBRARY ${SPOOL_${upper}_LIBRARY})
else()
  message(FATAL_ERROR "SPOOL_ALLOCATOR='${SPOOL_ALLOCATOR}' is not one of glibc, mimalloc, jemalloc")
endif()
message(STATUS "Spool's executables allocate with ${SPOOL_ALLOCATOR} ${SPOOL_ALLOCATOR_LIBRARY}")

# Links the chosen malloc into an executable of Spool's (tests/tensor/malloc_tuning_test.cc
# checks that the test programs then run on it).
# --no-as-needed keeps the library a dependency even of a program whose own objects call
# no allocation function (a linker that drops such libraries would leave glibc's malloc).
function(spool_link_allocator target)
  if(SPOOL_ALLOCATOR_LIBRARY)
    target_link_libraries(${target} PRIVATE "-Wl,--push-state,--no-as-needed" ${SPOOL_ALLOCATOR_LIBRARY}
                                            "-Wl,--pop-state")
  endif()
endfunction()
