# fsmock: a test server that plays FreeSWITCH 1.10.12 / 1.11.2 (event
# socket byte for byte as in shared/reference/esl-transcripts/, SIP-TLS
# and WSS served from a cert dir exactly as sofia-sip loads it), and its
# own test.  Random high loopback ports, so it may run in parallel.
find_package(Threads REQUIRED)
add_executable(fsmock ${CMAKE_CURRENT_SOURCE_DIR}/fsmock.c)
target_link_libraries(fsmock PRIVATE OpenSSL::SSL OpenSSL::Crypto
	Threads::Threads)

add_test(NAME fsmock COMMAND
	${CMAKE_CURRENT_SOURCE_DIR}/fsmock_test.sh $<TARGET_FILE_DIR:fsmock>)
set_tests_properties(fsmock PROPERTIES TIMEOUT 120)
