# scripts/ and install rules: the certbot deploy hook with real certbot +
# pebble (fixed loopback ports: never in parallel with e2e_certbot; exits
# 77, skipped, without pebble or certbot), `cmake --install` into a scratch
# DESTDIR, and static checks of the units, cron line, example config and
# fscert.conf(5) against lib/config.c.
add_test(NAME hook
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/hook_test.sh $<TARGET_FILE_DIR:fscert>)
set_tests_properties(hook PROPERTIES
	TIMEOUT 300 RUN_SERIAL TRUE SKIP_RETURN_CODE 77)

add_test(NAME install
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install_test.sh ${PROJECT_BINARY_DIR})
set_tests_properties(install PROPERTIES TIMEOUT 300)

add_test(NAME scripts
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scripts_test.sh $<TARGET_FILE_DIR:fscert>)
set_tests_properties(scripts PROPERTIES TIMEOUT 120)

# What a minimal Debian lacks (cmocka, ss) must not break the README's
# commands: a build without cmocka, pebble's port checks without ss.
add_test(NAME freshdeb
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/freshdeb_test.sh)
set_tests_properties(freshdeb PROPERTIES TIMEOUT 300)
