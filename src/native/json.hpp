// json.hpp: what the JSON walk (json.cpp) and its filling (json_dumps.cpp) share.
#pragma once

#include <cstddef>
#include <vector>

#include "native.hpp"

namespace lesto::py {

/// A gap in the output: `obj` (a strong reference), to be encoded at byte
/// `at`, inside `depth` containers.
struct Deferred {
    std::size_t at;
    PyObject* obj;
    int depth;
};

/// The walk's output; `out` first, so that code reaching it through the
/// scratch is the code that reached the buffer directly.
struct JsonScratch {
    Buffer out;
    std::vector<Deferred> deferred;
};

/// Appends `v`, `depth` containers deep, to `w.out`, and a gap to
/// `w.deferred` for each value it leaves to json_dumps.cpp. Runs no Python
/// code. False with an exception set: a key json.dumps refuses, a document
/// nested too deep, no memory.
bool json_walk(JsonScratch& w, PyObject* v, int depth);

}  // namespace lesto::py
