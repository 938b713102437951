# CMake generated Testfile for 
# Source directory: /work/main
# Build directory: /work/main/build
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[unit.test_conversation]=] "/work/main/build/test_conversation")
set_tests_properties([=[unit.test_conversation]=] PROPERTIES  WORKING_DIRECTORY "/work/main/build" _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;49;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[e2e]=] "/usr/bin/python3" "-m" "pytest" "-q" "-p" "no:cacheprovider" "/work/main/tests/e2e")
set_tests_properties([=[e2e]=] PROPERTIES  ENVIRONMENT "SWITCHBOARD_BIN=/work/main/build/switchboard;SB_SANITIZE=OFF" TIMEOUT "1500" _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;52;add_test;/work/main/CMakeLists.txt;0;")
