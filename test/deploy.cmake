# The install invariant, tested from outside with the real binary and
# fixtures made by the openssl CLI at test time (test/deploy_lib.sh):
#   install_crash: EIO and SIGKILL injected (strace) at every write,
#     fsync, rename, fchmod, fchown, close, openat, mkdirat of a deploy;
#     ptrace-heavy and timing-sensitive: alone (RUN_SERIAL); exits 77,
#     skipped, without a usable strace;
#   install_concurrency: 8 parallel deploys of alternating lineages;
#   install_modes: an inotify watcher (modes_watch.c) records the mode
#     and content of every file a reader could see during deploys.
add_executable(modes_watch ${CMAKE_CURRENT_SOURCE_DIR}/modes_watch.c)

add_test(NAME install_crash
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/crash_test.sh $<TARGET_FILE_DIR:fscert>)
set_tests_properties(install_crash PROPERTIES
	TIMEOUT 600 RUN_SERIAL TRUE SKIP_RETURN_CODE 77)

add_test(NAME install_concurrency
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/concurrency_test.sh $<TARGET_FILE_DIR:fscert>)
set_tests_properties(install_concurrency PROPERTIES TIMEOUT 300)

add_test(NAME install_modes
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/modes_test.sh $<TARGET_FILE_DIR:fscert>
	$<TARGET_FILE:modes_watch>)
set_tests_properties(install_modes PROPERTIES TIMEOUT 300)
