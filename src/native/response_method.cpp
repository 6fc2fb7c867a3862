// response_method.cpp: request.Response, the method every handler calls to build its Response.
//
// A builtin method descriptor would do, but CPython (3.11, 3.12) does not
// specialize a call to one that passes keywords: each `request.Response(text=...)`
// then goes through the descriptor's generic call, which checks the request's
// type (an MRO walk for an app's subclass) and the recursion depth, ~50
// instructions of a hello world's ~1,800. This descriptor is called directly,
// and needs nothing of the request: the Response is built from the
// arguments alone.
#include <cstddef>

#include "native.hpp"

#include <structmember.h>

namespace lesto::py {

namespace {

struct ResponseMethodObject {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyTypeObject* response_type;  // strong
    ModuleState* state;           // the response type's module's: lives as long
};

PyObject* ResponseMethod_vectorcall(PyObject* self, PyObject* const* args, std::size_t nargsf,
                                    PyObject* kwnames) {
    auto* m = reinterpret_cast<ResponseMethodObject*>(self);
    const std::size_t nargs = PyVectorcall_NARGS(nargsf);
    // Called through the request, args[0] is the request; called on the class
    // without one, there is nothing to skip.
    if (nargs == 0) {
        PyErr_SetString(PyExc_TypeError,
                        "Request.Response needs a request: call request.Response(...)");
        return nullptr;
    }
    return response_new(m->state, m->response_type, args + 1, nargs - 1, kwnames);
}

// Like a function's: `request.Response` alone is a bound method, so it can be
// passed around and called later.
PyObject* ResponseMethod_get(PyObject* self, PyObject* obj, PyObject*) {
    if (!obj || obj == Py_None) return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

PyObject* ResponseMethod_repr(PyObject*) {
    return PyUnicode_FromString("<method 'Response' of lesto requests>");
}

int ResponseMethod_traverse(ResponseMethodObject* m, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(m));
    Py_VISIT(m->response_type);
    return 0;
}

int ResponseMethod_clear(ResponseMethodObject* m) {
    Py_CLEAR(m->response_type);
    return 0;
}

void ResponseMethod_dealloc(ResponseMethodObject* m) {
    PyTypeObject* type = Py_TYPE(m);
    PyObject_GC_UnTrack(m);
    ResponseMethod_clear(m);
    type->tp_free(m);
    Py_DECREF(type);
}

PyMemberDef ResponseMethod_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(ResponseMethodObject, vectorcall), READONLY,
     nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

PyType_Slot ResponseMethod_slots[] = {
    {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
    {Py_tp_descr_get, reinterpret_cast<void*>(ResponseMethod_get)},
    {Py_tp_repr, reinterpret_cast<void*>(ResponseMethod_repr)},
    {Py_tp_traverse, reinterpret_cast<void*>(ResponseMethod_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(ResponseMethod_clear)},
    {Py_tp_dealloc, reinterpret_cast<void*>(ResponseMethod_dealloc)},
    {Py_tp_members, ResponseMethod_members},
    {Py_tp_doc,
     const_cast<char*>(
         "Response(*args, **kwargs)\n--\n\nBuild a Response (same arguments as lesto.Response).")},
    {0, nullptr},
};

}  // namespace

// METHOD_DESCRIPTOR: CPython then loads `request.Response` without binding it
// and calls it with the request first. IMMUTABLETYPE: else CPython does not
// specialize that load (LOAD_METHOD in 3.11, LOAD_ATTR_METHOD_* in 3.12).
PyType_Spec response_method_spec = {
    "lesto._native.ResponseMethod",
    sizeof(ResponseMethodObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
        Py_TPFLAGS_METHOD_DESCRIPTOR | Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_IMMUTABLETYPE,
    ResponseMethod_slots,
};

PyObject* response_method_new(PyTypeObject* method_type, PyTypeObject* response_type) {
    auto* m = PyObject_GC_New(ResponseMethodObject, method_type);
    if (!m) return nullptr;
    m->vectorcall = ResponseMethod_vectorcall;
    m->response_type = reinterpret_cast<PyTypeObject*>(Py_NewRef(response_type));
    m->state = state_of_type(response_type);
    PyObject_GC_Track(m);
    return reinterpret_cast<PyObject*>(m);
}

}  // namespace lesto::py
