// The doctest runner: one per test executable.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "testing.hpp"
