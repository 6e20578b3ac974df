# Deploy -> reload -> verify against the fsmock test server in both of
# its modes (1.11 reloadcert, 1.10 profile restart): deferral, --force,
# the 10-second guard, rollback, every fault mode, the password's
# hygiene.  Fixtures made by the openssl CLI at test time; fsmock on
# random free loopback ports.  FSCERT_TEST_SLOW=1 adds the slow
# restart-never-returns case (about 4 minutes).
add_test(NAME reload
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/reload_test.sh
		$<TARGET_FILE_DIR:fscert> $<TARGET_FILE:fsmock>)
set_tests_properties(reload PROPERTIES TIMEOUT 300)
