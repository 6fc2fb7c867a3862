// refcount.cpp: _native._reuse_counts, what the reuse bets of refcount.hpp saved, for the tests.
#include "refcount.hpp"
#include "asgi/call.hpp"
#include "engine.hpp"

namespace lesto::py {

namespace {

/// The engine behind a request, or behind an ASGI app's `send` or `receive`.
const Engine* engine_behind(ModuleState* st, PyObject* arg) {
    if (PyObject_TypeCheck(arg, st->request_type)) {
        const auto* r = reinterpret_cast<RequestObject*>(arg);
        return r->server ? r->server->engine : nullptr;
    }
    PyObject* self = PyCFunction_Check(arg) ? PyCFunction_GET_SELF(arg) : nullptr;
    if (self && Py_TYPE(self) == st->asgi.call_type) {
        const auto* c = reinterpret_cast<asgi::CallObject*>(self);
        return c->server ? c->server->engine : nullptr;
    }
    PyErr_Format(PyExc_TypeError,
                 "_reuse_counts() takes a request or an ASGI app's send or receive, not %.100R",
                 arg);
    return nullptr;
}

}  // namespace

PyObject* reuse_counts(PyObject* module, PyObject* arg) {
    auto* st = static_cast<ModuleState*>(PyModule_GetState(module));
    if (!st) return nullptr;
    const Engine* e = engine_behind(st, arg);
    if (!e) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "_reuse_counts(): the server is closed");
        return nullptr;
    }
    using count = unsigned long long;
    return Py_BuildValue("{sKsKsKsKsOsO}", "requests_made", static_cast<count>(e->requests_made_),
                         "steps_made", static_cast<count>(e->steps_made_), "calls_made",
                         static_cast<count>(e->calls_made_), "responses_made",
                         static_cast<count>(st->responses_made), "reuse_objects",
                         refcount::reuse_objects ? Py_True : Py_False, "spare_responses",
                         refcount::spare_responses ? Py_True : Py_False);
}

}  // namespace lesto::py
