# Unit tests (cmocka), one per lib module, plus the test-time fixture
# generator they share.  Included by test/CMakeLists.txt, which found
# cmocka (PkgConfig::CMOCKA).
find_package(Threads REQUIRED)

add_library(fixture STATIC ${CMAKE_CURRENT_SOURCE_DIR}/fixture.c)
target_include_directories(fixture PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(fixture PUBLIC OpenSSL::SSL OpenSSL::Crypto)

foreach(t err pem lineage validate bundle config vars install deploy fsconf)
	add_executable(test_${t} ${CMAKE_CURRENT_SOURCE_DIR}/test_${t}.c)
	target_link_libraries(test_${t} PRIVATE fscert_static fixture
		PkgConfig::CMOCKA OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
	add_test(NAME test_${t} COMMAND test_${t})
	# Fixtures go to a scratch dir under the build tree, not /tmp.
	set_tests_properties(test_${t} PROPERTIES
		TIMEOUT 300
		ENVIRONMENT "TMPDIR=${CMAKE_CURRENT_BINARY_DIR}")
endforeach()
