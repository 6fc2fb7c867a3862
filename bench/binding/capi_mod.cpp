// capi_mod.cpp: the three hot call shapes written against the CPython C API,
// the way src/native/ does it: heap types from PyType_Spec, tp_getset
// getters returning cached str objects, and Response(**kw) as a
// METH_FASTCALL|METH_KEYWORDS method matching keyword names by identity
// with interned strings. The work is kept to what the shapes need (no body
// encoding), the same as nb_mod.cpp, so only the binding differs.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstddef>
#include <initializer_list>

namespace {

enum Kw { kw_text, kw_code, kw_mime_type, kw_count };
constexpr const char* kw_names[kw_count] = {"text", "code", "mime_type"};

struct ModuleState {
    PyTypeObject* request_type = nullptr;
    PyTypeObject* response_type = nullptr;
    PyObject* kw[kw_count] = {};  // interned keyword names
};

ModuleState* state_of(PyObject* module) {
    return static_cast<ModuleState*>(PyModule_GetState(module));
}

// ---------------------------------------------------------------- Response

struct ResponseObject {
    PyObject_HEAD
    int code;
    PyObject* text;       // str or nullptr
    PyObject* mime_type;  // str or nullptr
};

void Response_dealloc(ResponseObject* r) {
    PyTypeObject* type = Py_TYPE(r);
    Py_XDECREF(r->text);
    Py_XDECREF(r->mime_type);
    PyObject_Free(r);
    Py_DECREF(type);
}

PyObject* Response_get_code(ResponseObject* r, void*) { return PyLong_FromLong(r->code); }
PyObject* Response_get_text(ResponseObject* r, void*) {
    return Py_NewRef(r->text ? r->text : Py_None);
}
PyObject* Response_get_mime_type(ResponseObject* r, void*) {
    return Py_NewRef(r->mime_type ? r->mime_type : Py_None);
}

PyGetSetDef Response_getset[] = {
    {"code", reinterpret_cast<getter>(Response_get_code), nullptr, nullptr, nullptr},
    {"text", reinterpret_cast<getter>(Response_get_text), nullptr, nullptr, nullptr},
    {"mime_type", reinterpret_cast<getter>(Response_get_mime_type), nullptr, nullptr, nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot Response_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(Response_dealloc)},
    {Py_tp_getset, Response_getset},
    {0, nullptr},
};

PyType_Spec Response_spec = {
    "capi_mod.Response",
    sizeof(ResponseObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    Response_slots,
};

// ----------------------------------------------------------------- Request

struct RequestObject {
    PyObject_HEAD
    ModuleState* state;  // the module is kept alive by the type
    PyObject* method;    // cached str, as the engine's getters cache them
    PyObject* path;
};

int kw_index(const ModuleState* st, PyObject* name) {
    for (int i = 0; i < kw_count; ++i) {
        if (name == st->kw[i]) return i;  // interned: what the interpreter passes
    }
    for (int i = 0; i < kw_count; ++i) {
        if (PyUnicode_CompareWithASCIIString(name, kw_names[i]) == 0) return i;
    }
    return -1;
}

PyObject* Request_Response(RequestObject* self, PyObject* const* args, Py_ssize_t nargs,
                           PyObject* kwnames) {
    if (nargs) {
        PyErr_SetString(PyExc_TypeError, "Response() takes keyword arguments only");
        return nullptr;
    }
    const ModuleState* st = self->state;
    PyObject* a[kw_count] = {};
    const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; ++i) {
        PyObject* name = PyTuple_GET_ITEM(kwnames, i);
        const int k = kw_index(st, name);
        if (k < 0) {
            PyErr_Format(PyExc_TypeError, "Response() got an unexpected keyword argument %R", name);
            return nullptr;
        }
        if (args[i] != Py_None) a[k] = args[i];
    }
    int code = 200;
    if (a[kw_code]) {
        if (!PyLong_Check(a[kw_code])) {
            PyErr_Format(PyExc_TypeError, "Response(code=...) must be an int, not %.100s",
                         Py_TYPE(a[kw_code])->tp_name);
            return nullptr;
        }
        const long c = PyLong_AsLong(a[kw_code]);
        if (c == -1 && PyErr_Occurred()) return nullptr;
        if (c < 100 || c > 599) {
            PyErr_Format(PyExc_ValueError, "Response(code=%ld): status code must be within 100-599",
                         c);
            return nullptr;
        }
        code = static_cast<int>(c);
    }
    for (int k : {kw_text, kw_mime_type}) {
        if (a[k] && !PyUnicode_Check(a[k])) {
            PyErr_Format(PyExc_TypeError, "Response(%s=...) must be str, not %.100s", kw_names[k],
                         Py_TYPE(a[k])->tp_name);
            return nullptr;
        }
    }
    auto* r = PyObject_New(ResponseObject, st->response_type);
    if (!r) return nullptr;
    r->code = code;
    r->text = Py_XNewRef(a[kw_text]);
    r->mime_type = Py_XNewRef(a[kw_mime_type]);
    return reinterpret_cast<PyObject*>(r);
}

PyObject* Request_get_method(RequestObject* r, void*) { return Py_NewRef(r->method); }
PyObject* Request_get_path(RequestObject* r, void*) { return Py_NewRef(r->path); }

PyObject* Request_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
    PyObject *method, *path;
    static const char* names[] = {"method", "path", nullptr};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "UU:Request", const_cast<char**>(names), &method,
                                     &path)) {
        return nullptr;
    }
    PyObject* module = PyType_GetModule(type);
    if (!module) return nullptr;
    auto* r = reinterpret_cast<RequestObject*>(type->tp_alloc(type, 0));
    if (!r) return nullptr;
    r->state = state_of(module);
    r->method = Py_NewRef(method);
    r->path = Py_NewRef(path);
    return reinterpret_cast<PyObject*>(r);
}

void Request_dealloc(RequestObject* r) {
    PyTypeObject* type = Py_TYPE(r);
    Py_XDECREF(r->method);
    Py_XDECREF(r->path);
    type->tp_free(r);
    Py_DECREF(type);
}

PyGetSetDef Request_getset[] = {
    {"method", reinterpret_cast<getter>(Request_get_method), nullptr, nullptr, nullptr},
    {"path", reinterpret_cast<getter>(Request_get_path), nullptr, nullptr, nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyMethodDef Request_methods[] = {
    {"Response", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(Request_Response)),
     METH_FASTCALL | METH_KEYWORDS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot Request_slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(Request_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(Request_dealloc)},
    {Py_tp_getset, Request_getset},
    {Py_tp_methods, Request_methods},
    {0, nullptr},
};

PyType_Spec Request_spec = {
    "capi_mod.Request", sizeof(RequestObject), 0, Py_TPFLAGS_DEFAULT, Request_slots,
};

// ------------------------------------------------------------------ module

// drive(handler, request, n): what the engine does per request, n times:
// call handler(request) from C++ and drop the result. Returns None.
PyObject* drive(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "drive(handler, request, n)");
        return nullptr;
    }
    PyObject* handler = args[0];
    const Py_ssize_t n = PyLong_AsSsize_t(args[2]);
    if (n == -1 && PyErr_Occurred()) return nullptr;
    // Slot before the argument is free for the callee (PY_VECTORCALL_ARGUMENTS_OFFSET).
    PyObject* call_args[2] = {nullptr, args[1]};
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* res = PyObject_Vectorcall(handler, call_args + 1,
                                            1 | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr);
        if (!res) return nullptr;
        Py_DECREF(res);
    }
    Py_RETURN_NONE;
}

PyMethodDef module_methods[] = {
    {"drive", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(drive)), METH_FASTCALL,
     nullptr},
    {nullptr, nullptr, 0, nullptr},
};

int module_exec(PyObject* m) {
    ModuleState* st = state_of(m);
    for (int i = 0; i < kw_count; ++i) {
        st->kw[i] = PyUnicode_InternFromString(kw_names[i]);
        if (!st->kw[i]) return -1;
    }
    st->response_type =
        reinterpret_cast<PyTypeObject*>(PyType_FromModuleAndSpec(m, &Response_spec, nullptr));
    if (!st->response_type || PyModule_AddType(m, st->response_type) < 0) return -1;
    st->request_type =
        reinterpret_cast<PyTypeObject*>(PyType_FromModuleAndSpec(m, &Request_spec, nullptr));
    if (!st->request_type || PyModule_AddType(m, st->request_type) < 0) return -1;
    return 0;
}

int module_traverse(PyObject* m, visitproc visit, void* arg) {
    ModuleState* st = state_of(m);
    if (!st) return 0;
    Py_VISIT(st->request_type);
    Py_VISIT(st->response_type);
    return 0;
}

int module_clear(PyObject* m) {
    ModuleState* st = state_of(m);
    if (!st) return 0;
    Py_CLEAR(st->request_type);
    Py_CLEAR(st->response_type);
    for (auto& k : st->kw) Py_CLEAR(k);
    return 0;
}

void module_free(void* m) { module_clear(static_cast<PyObject*>(m)); }

PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, reinterpret_cast<void*>(module_exec)},
    {0, nullptr},
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "capi_mod",
    "Binding benchmark: the hot call shapes on the CPython C API.",
    sizeof(ModuleState),
    module_methods,
    module_slots,
    module_traverse,
    module_clear,
    module_free,
};

}  // namespace

PyMODINIT_FUNC PyInit_capi_mod() { return PyModuleDef_Init(&module_def); }
