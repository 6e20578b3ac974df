# install.cmake: install rules beyond the targets' own (lib/ installs
# libfscert.a, libfscert.so and the headers; cli/ the binary), included at
# the end of the top-level CMakeLists.txt.
#
#   MANDIR/man1/fscert.1, MANDIR/man5/fscert.conf.5
#   LIBDIR/pkgconfig/fscert.pc
#   DATADIR/fscert/certbot-deploy-hook   link it as
#                      /etc/letsencrypt/renewal-hooks/deploy/fscert
#   DATADIR/fscert/fscert.cron           copy it to /etc/cron.d/fscert
#   FSCERT_SYSTEMD_UNITDIR/fscert.{service,timer}
#   DOCDIR/fscert.conf.example
#
# The hook goes to DATADIR rather than straight into /etc/letsencrypt:
# that directory belongs to certbot, and is not under the prefix.
#
# The hook, the service, the cron line and fscert.pc name installed paths
# (@BINDIR@, the pkg-config prefix).  They are filled in when installing,
# by cmake/install-configure.cmake, so that `cmake --install --prefix P`
# gets P, not the prefix the build was configured with.

set(FSCERT_SYSTEMD_UNITDIR "" CACHE PATH
	"systemd unit directory (default: pkg-config systemd's systemdsystemunitdir, else PREFIX/lib/systemd/system)")
option(FSCERT_INSTALL_SYSTEMD "Install fscert.service and fscert.timer" ON)

set(_fscert_unitdir "${FSCERT_SYSTEMD_UNITDIR}")
if(NOT _fscert_unitdir)
	pkg_get_variable(_fscert_unitdir systemd systemdsystemunitdir)
endif()
if(NOT _fscert_unitdir)
	set(_fscert_unitdir lib/systemd/system)	# under the install prefix
endif()

# What a static link of libfscert needs, from the library's link
# interface: pkg-config modules (Requires.private), else flags
# (Libs.private).
set(_fscert_pc_modules
	OpenSSL::SSL=libssl OpenSSL::Crypto=libcrypto PkgConfig::INIH=inih
	PkgConfig::JANSSON=jansson PkgConfig::EXPAT=expat PkgConfig::CURL=libcurl)
set(FSCERT_PC_REQUIRES_PRIVATE "")
set(FSCERT_PC_LIBS_PRIVATE "")
get_target_property(_fscert_links fscert_static INTERFACE_LINK_LIBRARIES)
if("Threads::Threads" IN_LIST _fscert_links)
	find_package(Threads REQUIRED)	# CMAKE_THREAD_LIBS_INIT, in this scope
endif()
foreach(_l IN LISTS _fscert_links)
	set(_m "")
	foreach(_pair IN LISTS _fscert_pc_modules)
		string(REPLACE "=" ";" _kv "${_pair}")
		list(GET _kv 0 _k)
		if(_l STREQUAL _k)
			list(GET _kv 1 _m)
		endif()
	endforeach()
	if(_m)
		string(APPEND FSCERT_PC_REQUIRES_PRIVATE " ${_m}")
	elseif(_l STREQUAL "Threads::Threads")
		# Empty where libc has the threads (glibc >= 2.34).
		string(APPEND FSCERT_PC_LIBS_PRIVATE " ${CMAKE_THREAD_LIBS_INIT}")
	elseif(_l MATCHES "^-l" OR _l MATCHES "^[A-Za-z0-9_+.-]+$")
		string(REGEX REPLACE "^-l" "" _l "${_l}")
		string(APPEND FSCERT_PC_LIBS_PRIVATE " -l${_l}")
	else()
		message(WARNING "fscert.pc: no pkg-config module for '${_l}'; "
			"add it to _fscert_pc_modules in cmake/install.cmake")
	endif()
endforeach()
string(STRIP "${FSCERT_PC_REQUIRES_PRIVATE}" FSCERT_PC_REQUIRES_PRIVATE)
string(STRIP "${FSCERT_PC_LIBS_PRIVATE}" FSCERT_PC_LIBS_PRIVATE)

set(_fscert_gen "${PROJECT_BINARY_DIR}/install-gen")
install(CODE "
set(FSCERT_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
set(FSCERT_GEN_DIR \"${_fscert_gen}\")
set(FSCERT_REL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(FSCERT_REL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
set(FSCERT_REL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
set(FSCERT_PC_REQUIRES_PRIVATE \"${FSCERT_PC_REQUIRES_PRIVATE}\")
set(FSCERT_PC_LIBS_PRIVATE \"${FSCERT_PC_LIBS_PRIVATE}\")
set(PROJECT_VERSION \"${PROJECT_VERSION}\")
include(\"${PROJECT_SOURCE_DIR}/cmake/install-configure.cmake\")
")

install(FILES man/fscert.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${_fscert_gen}/fscert.pc
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(PROGRAMS ${_fscert_gen}/certbot-deploy-hook
	DESTINATION ${CMAKE_INSTALL_DATADIR}/fscert)
install(FILES ${_fscert_gen}/fscert.cron
	DESTINATION ${CMAKE_INSTALL_DATADIR}/fscert)
if(FSCERT_INSTALL_SYSTEMD)
	install(FILES ${_fscert_gen}/fscert.service scripts/fscert.timer
		DESTINATION ${_fscert_unitdir})
endif()
install(FILES scripts/fscert.conf.example DESTINATION ${CMAKE_INSTALL_DOCDIR})
