// Test main for tests that elaborate a SystemC design.
//
// Debian's libsystemc defines main() and calls sc_main(), so the tests' entry point is sc_main.
// SystemC allows one elaboration per process: CTest runs each test case in its own process
// (gtest_discover_tests). Run by hand with several tests selected, the second test that elaborates
// fails with a message saying so instead of failing obscurely inside the kernel.
#include "sc_test.h"

// sc_main must get the C linkage <systemc> declares; without the header (builds without the
// precompiled SystemC headers) it would be a C++ symbol that libsystemc's main() cannot find.
#include <systemc>

#include <gmock/gmock.h>

#include <cstdlib>

int sc_main(int argc, char* argv[]) {
    ::testing::InitGoogleMock(&argc, argv);
    return RUN_ALL_TESTS();
}
