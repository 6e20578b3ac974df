# End-to-end: real certbot lineages issued and force-renewed by a local
# pebble on 127.0.0.1, then checked and bundled by fscert. Needs Debian's
# pebble, certbot and openssl; exits 77 (skipped) when they are missing.
# Fixed loopback ports (14000, 15000, 5002, 8053, 8055): never in parallel.
add_test(NAME e2e_certbot COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e_certbot.sh $<TARGET_FILE_DIR:fscert>)
set_tests_properties(e2e_certbot PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE SKIP_RETURN_CODE 77)
