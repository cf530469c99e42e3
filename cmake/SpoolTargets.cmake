# spool_add_library(NAME FOLDER SOURCES... [DEPS targets...] [PRIVATE_DEPS targets...])
# One library per source folder, with the flags every Spool target shares.
function(spool_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} ${ARG_SOURCES})
  add_library(spool::${name} ALIAS ${name})
  spool_target_defaults(${name})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${SPOOL_BUILD_INCLUDE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# Flags for every Spool target, libraries, tests, tools and benches alike.
function(spool_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
    if(SPOOL_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
    if(SPOOL_SANITIZE)
      target_compile_options(${target} PUBLIC -fsanitize=${SPOOL_SANITIZE} -fno-omit-frame-pointer
                                              -fno-sanitize-recover=all)
      target_link_options(${target} PUBLIC -fsanitize=${SPOOL_SANITIZE})
      if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        # GCC 12's -Wmaybe-uninitialized misfires inside std::function and std::regex
        # when ASan instruments them; the clean normal build keeps the warning on.
        target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
      endif()
    endif()
  endif()
endfunction()
