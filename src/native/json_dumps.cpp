// json_dumps.cpp: Response(json=...): the walk (json.cpp), then its gaps filled,
// with dict(value) encoded the same way for the mappings Lesto registers
// (json_as_dict: request.headers, request.query, ...), else with
// orjson.dumps(value), whose bytes and errors are the reference.
#include <cstring>
#include <string>
#include <vector>

#include "json.hpp"

namespace lesto::py {

namespace {

void drop_gaps(std::vector<Deferred>& gaps) noexcept {
    for (Deferred& d : gaps) Py_DECREF(d.obj);
    gaps.clear();
}

/// Drops the references of the gaps, filled or not (an error stopped the work).
struct GapRefs {
    std::vector<Deferred>& gaps;
    ~GapRefs() { drop_gaps(gaps); }
};

PyObject* encode_nested(ModuleState* st, PyObject* obj, int depth);

PyObject* orjson_dumps(ModuleState* st, PyObject* obj) {
    if (!st->json_dumps) {
        PyObject* orjson = PyImport_ImportModule("orjson");
        if (!orjson) return nullptr;
        st->json_dumps = PyObject_GetAttrString(orjson, "dumps");
        Py_DECREF(orjson);
        if (!st->json_dumps) return nullptr;
    }
    return PyObject_CallOneArg(st->json_dumps, obj);
}

bool is_json_mapping(ModuleState* st, PyObject* v) {
    if (!st->json_mappings) return false;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(st->json_mappings); ++i) {
        if (PyObject_TypeCheck(
                v, reinterpret_cast<PyTypeObject*>(PyList_GET_ITEM(st->json_mappings, i)))) {
            return true;
        }
    }
    return false;
}

/// The bytes of one gap: a registered mapping as dict(value), anything else
/// as orjson gives it. orjson counts its depth limit from the value down.
PyObject* fill_gap(ModuleState* st, const Deferred& d) {
    if (!is_json_mapping(st, d.obj)) return orjson_dumps(st, d.obj);
    PyObject* dict = PyDict_New();
    if (!dict) return nullptr;
    PyObject* bytes =
        PyDict_Merge(dict, d.obj, 1) == 0 ? encode_nested(st, dict, d.depth) : nullptr;
    Py_DECREF(dict);
    return bytes;
}

/// The walk's output with its gaps filled. Filling runs Python code (a
/// mapping's keys() and [], orjson's), which may build JSON Responses of its
/// own: the scratch is emptied first.
[[gnu::noinline]] PyObject* fill_gaps(ModuleState* st, JsonScratch& w) {
    const std::string walked(w.out.data(), w.out.size());
    std::vector<Deferred> gaps;
    gaps.swap(w.deferred);
    w.out.clear();
    GapRefs gap_refs{gaps};
    std::vector<PyObject*> pieces;
    pieces.reserve(gaps.size());
    struct Pieces {
        std::vector<PyObject*>& items;
        ~Pieces() {
            for (PyObject* p : items) Py_DECREF(p);
        }
    } piece_refs{pieces};
    std::size_t total = walked.size();
    for (const Deferred& d : gaps) {
        PyObject* piece = fill_gap(st, d);
        if (!piece) return nullptr;
        pieces.push_back(piece);
        total += static_cast<std::size_t>(PyBytes_GET_SIZE(piece));
    }
    PyObject* bytes = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(total));
    if (!bytes) return nullptr;
    char* p = PyBytes_AS_STRING(bytes);
    std::size_t from = 0;
    for (std::size_t i = 0; i < gaps.size(); ++i) {
        std::memcpy(p, walked.data() + from, gaps[i].at - from);
        p += gaps[i].at - from;
        from = gaps[i].at;
        std::memcpy(p, PyBytes_AS_STRING(pieces[i]),
                    static_cast<std::size_t>(PyBytes_GET_SIZE(pieces[i])));
        p += PyBytes_GET_SIZE(pieces[i]);
    }
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): a bytes object has its own NUL after it
    std::memcpy(p, walked.data() + from, walked.size() - from);
    return bytes;
}

[[gnu::always_inline]] inline PyObject* encode(ModuleState* st, PyObject* obj, int depth) {
    JsonScratch& w = *st->json_scratch;
    w.out.clear();
    PyObject* bytes = nullptr;
    if (json_walk(w, obj, depth)) {
        if (w.deferred.empty()) {
            bytes = PyBytes_FromStringAndSize(w.out.data(), static_cast<Py_ssize_t>(w.out.size()));
        } else {
            bytes = fill_gaps(st, w);
        }
    } else {
        drop_gaps(w.deferred);
    }
    w.out.clear();
    w.out.shrink_if_empty(std::size_t{64} * 1024);  // a big document's memory is not kept
    return bytes;
}

// encode inlined into json_dumps, as the top of every Response(json=...).
[[gnu::noinline]] PyObject* encode_nested(ModuleState* st, PyObject* obj, int depth) {
    return encode(st, obj, depth);
}

}  // namespace

PyObject* json_dumps(ModuleState* st, PyObject* obj) { return encode(st, obj, 0); }

PyObject* json_as_dict(PyObject* module, PyObject* cls) {
    if (!PyType_Check(cls)) {
        PyErr_Format(PyExc_TypeError, "json_as_dict() takes a class, not %.100R", cls);
        return nullptr;
    }
    ModuleState* st = static_cast<ModuleState*>(PyModule_GetState(module));
    if (!st->json_mappings && !(st->json_mappings = PyList_New(0))) return nullptr;
    if (PyList_Append(st->json_mappings, cls) < 0) return nullptr;
    return Py_NewRef(cls);
}

JsonScratch* json_scratch_new() { return new JsonScratch; }

void json_scratch_free(JsonScratch* scratch) noexcept { delete scratch; }

}  // namespace lesto::py
