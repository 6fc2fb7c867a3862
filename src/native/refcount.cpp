// refcount.cpp: _native._reuse_counts, what the reuse bets of refcount.hpp saved, for the tests.
#include "refcount.hpp"
#include "engine.hpp"

namespace lesto::py {

PyObject* reuse_counts(PyObject* module, PyObject* request) {
    auto* st = static_cast<ModuleState*>(PyModule_GetState(module));
    if (!st) return nullptr;
    if (!PyObject_TypeCheck(request, st->request_type)) {
        PyErr_Format(PyExc_TypeError, "_reuse_counts() takes a request, not %.100R", request);
        return nullptr;
    }
    const auto* r = reinterpret_cast<RequestObject*>(request);
    const Engine* e = r->server ? r->server->engine : nullptr;
    if (!e) {
        PyErr_SetString(PyExc_ValueError, "_reuse_counts(): the request's server is closed");
        return nullptr;
    }
    using count = unsigned long long;
    return Py_BuildValue("{sKsKsKsOsO}", "requests_made", static_cast<count>(e->requests_made_),
                         "steps_made", static_cast<count>(e->steps_made_), "responses_made",
                         static_cast<count>(st->responses_made), "reuse_objects",
                         refcount::reuse_objects ? Py_True : Py_False, "spare_responses",
                         refcount::spare_responses ? Py_True : Py_False);
}

}  // namespace lesto::py
