// check.hpp: how shared test code reports a broken invariant, to GoogleTest or to a fuzz target.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <string>
#include <vector>

namespace lesto::test {

/// Receives a broken invariant: where it was checked, the condition as
/// written and what was found. It does not return: a fuzz target prints its
/// context and aborts (libFuzzer keeps the input); GoogleTest records the
/// failure and throws (tests/cpp/invariant.hpp), ending the test.
using Broken = void (*)(const char* file, int line, const char* what, const std::string& detail);

/// Items one per line, numbered, for a message comparing two runs;
/// `show(item)` gives each line.
template <class T> std::string show(const std::vector<T>& items) {
    std::string s;
    for (std::size_t i = 0; i < items.size(); ++i)
        s += "\n  #" + std::to_string(i) + " " + show(items[i]);
    return s;
}

}  // namespace lesto::test

/// Checks `cond`; when it is false, hands it to `broken` (`detail` is built
/// only then). A handler that returned anyway would abort here: code after a
/// check may rely on it.
#define LESTO_CHECK(broken, cond, detail)                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            (broken)(__FILE__, __LINE__, #cond, (detail));                                         \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)
