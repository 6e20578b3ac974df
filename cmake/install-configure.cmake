# install-configure.cmake: run by `cmake --install` (see install.cmake)
# before the files it makes are installed.  Fills in @BINDIR@ and the
# pkg-config paths from the prefix of this install (CMAKE_INSTALL_PREFIX
# here is the one given to `cmake --install --prefix`, if any; DESTDIR is
# not part of it, as it must not be).

foreach(_d BINDIR LIBDIR INCLUDEDIR)
	if(IS_ABSOLUTE "${FSCERT_REL_${_d}}")
		set(_fscert_${_d} "${FSCERT_REL_${_d}}")
		set(FSCERT_PC_${_d} "${FSCERT_REL_${_d}}")
	else()
		set(_fscert_${_d} "${CMAKE_INSTALL_PREFIX}/${FSCERT_REL_${_d}}")
		set(FSCERT_PC_${_d} "\${prefix}/${FSCERT_REL_${_d}}")
	endif()
endforeach()
set(BINDIR "${_fscert_BINDIR}")
set(FSCERT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")

configure_file("${FSCERT_SOURCE_DIR}/cmake/fscert.pc.in"
	"${FSCERT_GEN_DIR}/fscert.pc" @ONLY)
foreach(_f certbot-deploy-hook fscert.service fscert.cron)
	configure_file("${FSCERT_SOURCE_DIR}/scripts/${_f}"
		"${FSCERT_GEN_DIR}/${_f}" @ONLY)
endforeach()
