# Unit tests (cmocka) for the event-socket client (lib/esl.c: a loopback
# listener thread plays FreeSWITCH) and for the parsers the reload runs
# on (lib/reload.c jsonstatus, lib/probe.c HOST:PORT).  Included by
# test/CMakeLists.txt, which found cmocka (PkgConfig::CMOCKA).
find_package(Threads REQUIRED)

foreach(t esl reload)
	add_executable(test_${t} ${CMAKE_CURRENT_SOURCE_DIR}/test_${t}.c)
	target_link_libraries(test_${t} PRIVATE fscert_static
		PkgConfig::CMOCKA OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
	add_test(NAME test_${t} COMMAND test_${t})
	set_tests_properties(test_${t} PROPERTIES TIMEOUT 120)
endforeach()
