// invariant.hpp: a broken invariant of the shared test code (tests/support) as a GoogleTest
// failure.
#pragma once

#include "support/check.hpp"

#include <gtest/gtest.h>
#include <stdexcept>
#include <string>

namespace lesto::test {

/// The Broken of GoogleTest: a failure at the check's own line, with the
/// SCOPED_TRACE of the moment, then an exception that ends the test (the
/// code after a check relies on it; GoogleTest reports the exception too).
[[noreturn]] inline void fail_test(const char* file, int line, const char* what,
                                   const std::string& detail) {
    ADD_FAILURE_AT(file, line) << "broken: " << what << "\n" << detail;
    throw std::logic_error("stopped at the broken invariant reported above");
}

}  // namespace lesto::test
