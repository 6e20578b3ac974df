# CLI exit statuses and messages (fixtures made by the openssl CLI at test
# time), and the man page lint: any mandoc message at warning level or
# above fails the test, not only those that set mandoc's exit status.
add_test(NAME cli
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli_test.sh $<TARGET_FILE_DIR:fscert>)
set_tests_properties(cli PROPERTIES TIMEOUT 600)

add_test(NAME manlint
	COMMAND sh -c "out=$(mandoc -Tlint -W warning \"$0\" 2>&1); rc=$?; [ -z \"$out\" ] || echo \"$out\"; [ $rc -eq 0 ] && [ -z \"$out\" ]"
	${PROJECT_SOURCE_DIR}/man/fscert.1)

# check, bundle, status and vars without root.
add_test(NAME nonroot COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/nonroot_test.sh
	$<TARGET_FILE_DIR:fscert>)
set_tests_properties(nonroot PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
