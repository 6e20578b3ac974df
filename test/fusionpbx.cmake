# Cert dirs as real installs leave them (FusionPBX's agent.pem -> all.pem
# symlinks, certbot's file names beside fscert's): deploy, bundle,
# status, check and reload against fsmock.
add_test(NAME fusionpbx
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/fusionpbx_test.sh
		$<TARGET_FILE_DIR:fscert> $<TARGET_FILE:fsmock>)
set_tests_properties(fusionpbx PROPERTIES TIMEOUT 300)
