// guard.cpp: the coroutine that runs one ASGI call.
//
// It steps the app's own coroutine and, the moment that ends (returned or
// raised), hands the end to the front-end (asgi::finish) inside the same
// step: no done-callback, no Suspended, no extra turn of the loop per
// request. Whatever the app raised is the front-end's to answer and log,
// so the Task itself always ends with None.
#include "asgi.hpp"

#include "../engine.hpp"

#include <utility>

namespace lesto::py::asgi {

namespace {

struct GuardObject {
    PyObject_HEAD
    PyObject* coro;  // the app's coroutine; null once it ended
    PyObject* call;  // its CallObject
    ServerObject* server;
    PyObject* pending;  // what the app yielded in a first step made before the Task's own
};

/// The app's coroutine gave `sent` (and `*result`): pass a suspension on,
/// turn an end into the front-end's business and the Task's plain return.
PySendResult settle(GuardObject* g, PySendResult sent, PyObject** result) {
    if (sent == PYGEN_NEXT) return sent;
    PyObject* coro = std::exchange(g->coro, nullptr);
    Engine* e = g->server ? g->server->engine : nullptr;
    if (e && g->call) {
        finish(*e, g->call, sent == PYGEN_RETURN ? *result : nullptr);
        Py_CLEAR(g->call);  // the call keeps the Task until now: no cycle is left behind
    } else {
        if (sent == PYGEN_RETURN) Py_XDECREF(*result);
        PyErr_Clear();  // the server is gone: nobody to answer or log for
    }
    Py_XDECREF(coro);
    *result = Py_NewRef(Py_None);
    return PYGEN_RETURN;
}

PySendResult Guard_am_send(GuardObject* g, PyObject* arg, PyObject** result) {
    if (PyObject* pending = std::exchange(g->pending, nullptr)) {
        // The engine made the first step (first_step): the Task's first
        // step hands on what the app yielded then, to wait on it.
        *result = pending;
        return PYGEN_NEXT;
    }
    if (!g->coro) {  // it ended in the engine's first step: the Task has nothing left to do
        *result = Py_NewRef(Py_None);
        return PYGEN_RETURN;
    }
    return settle(g, PyIter_Send(g->coro, arg, result), result);
}

/// The result of a PySendResult as the iterator protocol's: a value, or null with StopIteration.
PyObject* as_iteration(PySendResult sent, PyObject* result) {
    if (sent == PYGEN_NEXT) return result;
    if (sent == PYGEN_RETURN) {
        PyObject* exc = PyObject_CallOneArg(PyExc_StopIteration, result);
        Py_DECREF(result);
        if (exc) {
            PyErr_SetObject(PyExc_StopIteration, exc);
            Py_DECREF(exc);
        }
    }
    return nullptr;
}

PyObject* Guard_send(GuardObject* g, PyObject* arg) {
    PyObject* result = nullptr;
    const PySendResult sent = Guard_am_send(g, arg, &result);
    return as_iteration(sent, result);
}

PyObject* Guard_next(GuardObject* g) { return Guard_send(g, Py_None); }

PyObject* Guard_throw(GuardObject* g, PyObject* const* args, Py_ssize_t nargs) {
    Py_CLEAR(g->pending);  // thrown in where it waits, as asyncio does
    if (!g->coro) {
        PyErr_SetString(PyExc_RuntimeError, "the ASGI call has ended");
        return nullptr;
    }
    PyObject* throw_ = PyObject_GetAttrString(g->coro, "throw");
    if (!throw_) return nullptr;
    PyObject* result = PyObject_Vectorcall(throw_, args, static_cast<std::size_t>(nargs), nullptr);
    Py_DECREF(throw_);
    PySendResult sent = PYGEN_NEXT;
    if (!result) {
        if (PyErr_ExceptionMatches(PyExc_StopIteration)) {
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_NormalizeException(&type, &value, &tb);
            result = value ? PyObject_GetAttrString(value, "value") : Py_NewRef(Py_None);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
            sent = result ? PYGEN_RETURN : PYGEN_ERROR;
        } else {
            sent = PYGEN_ERROR;
        }
    }
    // settle() replaces `result`: read it only after the call (argument
    // order is unspecified).
    sent = settle(g, sent, &result);
    return as_iteration(sent, result);
}

PyObject* Guard_close(GuardObject* g, PyObject*) {
    Py_CLEAR(g->pending);
    PyObject* coro = std::exchange(g->coro, nullptr);
    if (!coro) Py_RETURN_NONE;
    PyObject* r = PyObject_CallMethod(coro, "close", nullptr);
    Py_DECREF(coro);
    return r;
}

PyObject* Guard_await(PyObject* self) { return Py_NewRef(self); }

int Guard_traverse(GuardObject* g, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(g));
    Py_VISIT(g->coro);
    Py_VISIT(g->call);
    Py_VISIT(g->server);
    Py_VISIT(g->pending);
    return 0;
}

int Guard_clear(GuardObject* g) {
    Py_CLEAR(g->coro);
    Py_CLEAR(g->call);
    Py_CLEAR(g->server);
    Py_CLEAR(g->pending);
    return 0;
}

void Guard_dealloc(GuardObject* g) {
    PyTypeObject* type = Py_TYPE(g);
    PyObject_GC_UnTrack(g);
    Guard_clear(g);
    PyObject_GC_Del(g);
    Py_DECREF(type);
}

PyMethodDef Guard_methods[] = {
    {"send", reinterpret_cast<PyCFunction>(Guard_send), METH_O, nullptr},
    {"throw", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(Guard_throw)),
     METH_FASTCALL, nullptr},
    {"close", reinterpret_cast<PyCFunction>(Guard_close), METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot Guard_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(Guard_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(Guard_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(Guard_clear)},
    {Py_am_await, reinterpret_cast<void*>(Guard_await)},
    {Py_am_send, reinterpret_cast<void*>(Guard_am_send)},
    {Py_tp_iter, reinterpret_cast<void*>(PyObject_SelfIter)},
    {Py_tp_iternext, reinterpret_cast<void*>(Guard_next)},
    {Py_tp_methods, Guard_methods},
    {Py_tp_doc, const_cast<char*>("The coroutine a Task runs for one ASGI call.")},
    {0, nullptr},
};

}  // namespace

PyType_Spec guard_spec = {
    "lesto._native._AsgiGuard",
    sizeof(GuardObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    Guard_slots,
};

PyObject* guard(Engine& e, PyObject* coro, PyObject* call) {
    auto* g = PyObject_GC_New(GuardObject, e.self_->state->asgi.guard_type);
    if (!g) return nullptr;
    g->coro = Py_NewRef(coro);
    g->call = Py_NewRef(call);
    g->server = reinterpret_cast<ServerObject*>(Py_NewRef(e.self_));
    g->pending = nullptr;
    PyObject_GC_Track(g);
    return reinterpret_cast<PyObject*>(g);
}

PyObject* carry_on(Engine& e, PyObject* guarded, PyObject* yielded, PyObject* step,
                   PyObject* context) {
    if (step) {
        PyObject* args[4] = {step, guarded, yielded, context};
        PyObject* driver = PyObject_VectorcallMethod(e.self_->state->str_drive, args,
                                                     4 | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr);
        Py_DECREF(yielded);
        Py_DECREF(step);
        return driver;
    }
    reinterpret_cast<GuardObject*>(guarded)->pending = yielded;
    PyObject* args[2] = {guarded, context};
    return PyObject_Vectorcall(e.run_task_, args, 2, nullptr);
}

}  // namespace lesto::py::asgi
