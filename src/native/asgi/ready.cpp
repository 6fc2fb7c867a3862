// ready.cpp: an awaitable that is already done, with its value.
//
// What receive() and send() give when nothing needs waiting for: awaiting
// it returns at once (am_send, without raising StopIteration), so an app
// that never waits runs to its end without a Task step per message.
#include "asgi.hpp"

namespace lesto::py::asgi {

namespace {

struct ReadyObject {
    PyObject_HEAD
    PyObject* value;
};

void Ready_dealloc(ReadyObject* r) {
    PyTypeObject* type = Py_TYPE(r);
    Py_XDECREF(r->value);
    PyObject_Free(r);
    Py_DECREF(type);
}

PyObject* Ready_await(PyObject* self) { return Py_NewRef(self); }

PySendResult Ready_send(PyObject* self, PyObject*, PyObject** result) {
    *result = Py_NewRef(reinterpret_cast<ReadyObject*>(self)->value);
    return PYGEN_RETURN;
}

PyObject* Ready_next(PyObject* self) {
    // The iterator protocol's way to return a value: StopIteration(value),
    // made explicitly so that a tuple value is not taken for its arguments.
    PyObject* exc =
        PyObject_CallOneArg(PyExc_StopIteration, reinterpret_cast<ReadyObject*>(self)->value);
    if (exc) {
        PyErr_SetObject(PyExc_StopIteration, exc);
        Py_DECREF(exc);
    }
    return nullptr;
}

PyObject* Ready_send_method(PyObject* self, PyObject*) { return Ready_next(self); }

PyObject* Ready_throw(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "throw expected at least 1 argument");
        return nullptr;
    }
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(args[0])), args[0]);
    return nullptr;
}

PyObject* Ready_close(PyObject*, PyObject*) { Py_RETURN_NONE; }

PyMethodDef Ready_methods[] = {
    {"send", Ready_send_method, METH_O, nullptr},
    {"throw", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(Ready_throw)),
     METH_FASTCALL, nullptr},
    {"close", Ready_close, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot Ready_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(Ready_dealloc)},
    {Py_am_await, reinterpret_cast<void*>(Ready_await)},
    {Py_am_send, reinterpret_cast<void*>(Ready_send)},
    {Py_tp_iter, reinterpret_cast<void*>(PyObject_SelfIter)},
    {Py_tp_iternext, reinterpret_cast<void*>(Ready_next)},
    {Py_tp_methods, Ready_methods},
    {Py_tp_doc, const_cast<char*>("An awaitable already done: what receive() or send() "
                                  "return when nothing needs waiting for.")},
    {0, nullptr},
};

}  // namespace

PyType_Spec ready_spec = {
    "lesto._native._AsgiReady",
    sizeof(ReadyObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    Ready_slots,
};

PyObject* ready(const Names& names, PyObject* value) {
    auto* r = PyObject_New(ReadyObject, names.ready_type);
    if (!r) {
        Py_DECREF(value);
        return nullptr;
    }
    r->value = value;  // stolen
    return reinterpret_cast<PyObject*>(r);
}

}  // namespace lesto::py::asgi
