# cmake --install puts headers under include/spool/, the libraries in lib/, and a
# SpoolConfig.cmake so that another project can find_package(Spool) and link spool::spool.
include(CMakePackageConfigHelpers)

set(SPOOL_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Spool)

install(TARGETS spool spool_tensor spool_data spool_autodiff spool_distribute
        EXPORT SpoolTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(folder tensor data autodiff distribute)
  install(DIRECTORY ${folder}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/spool/${folder}
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(FILES cmake/spool.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/spool)

install(EXPORT SpoolTargets NAMESPACE spool:: DESTINATION ${SPOOL_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/SpoolConfig.cmake.in ${PROJECT_BINARY_DIR}/SpoolConfig.cmake
                              INSTALL_DESTINATION ${SPOOL_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/SpoolConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/SpoolConfig.cmake ${PROJECT_BINARY_DIR}/SpoolConfigVersion.cmake
        DESTINATION ${SPOOL_INSTALL_CMAKEDIR})
if(SPOOL_BUILD_TOOLS)
  install(TARGETS spool_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
