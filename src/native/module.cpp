// module.cpp: the lesto._native extension module: types, module state, route checking.
#include "native.hpp"

#include "asgi/asgi.hpp"

namespace lesto::py {

namespace {

PyModuleDef module_def;

ModuleState* state_of_module(PyObject* m) {
    return static_cast<ModuleState*>(PyModule_GetState(m));
}

PyObject* check_route(PyObject*, PyObject* args) {
    PyObject* pattern;
    PyObject* methods;
    if (!PyArg_ParseTuple(args, "UO!", &pattern, &PyTuple_Type, &methods)) return nullptr;
    router::Router router;
    if (!add_route(router, pattern, methods)) return nullptr;
    const router::Route& route = router.route(0);
    PyObject* result = PyTuple_New(static_cast<Py_ssize_t>(route.param_names.size()));
    if (!result) return nullptr;
    for (std::size_t i = 0; i < route.param_names.size(); ++i) {
        const std::string& n = route.param_names[i];
        PyObject* name = PyUnicode_FromStringAndSize(n.data(), static_cast<Py_ssize_t>(n.size()));
        if (!name) {
            Py_DECREF(result);
            return nullptr;
        }
        PyTuple_SET_ITEM(result, static_cast<Py_ssize_t>(i), name);
    }
    return result;
}

PyMethodDef module_methods[] = {
    {"check_route", check_route, METH_VARARGS,
     "check_route(pattern, methods, /)\n--\n\nValidate a route pattern and method names the "
     "way the server will; return the placeholder names. Raises ValueError saying what to fix."},
    {"json_as_dict", json_as_dict, METH_O,
     "json_as_dict(cls, /)\n--\n\nResponse(json=...) encodes instances of cls (a mapping "
     "class, subclasses included) as dict(instance). Returns cls: a class decorator."},
    {"_reuse_counts", reuse_counts, METH_O,
     "_reuse_counts(request, /)\n--\n\nFor tests: how many Requests, stand-in steps, ASGI "
     "calls and Responses the engine has made rather than reused, and whether this build "
     "reuses them. Takes a request, or an ASGI app's send or receive."},
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject* add_type(PyObject* m, PyType_Spec* spec, const char* name, PyObject* base = nullptr) {
    auto* type = reinterpret_cast<PyTypeObject*>(PyType_FromModuleAndSpec(m, spec, base));
    if (!type) return nullptr;
    if (PyModule_AddObjectRef(m, name, reinterpret_cast<PyObject*>(type)) < 0) {
        Py_DECREF(type);
        return nullptr;
    }
    return type;
}

/// Request.Response: a descriptor of its own type, see response_method.cpp.
bool request_type_add_response(PyObject* m, ModuleState* st) {
    PyObject* method_type = PyType_FromModuleAndSpec(m, &response_method_spec, nullptr);
    if (!method_type) return false;
    PyObject* method =
        response_method_new(reinterpret_cast<PyTypeObject*>(method_type), st->response_type);
    Py_DECREF(method_type);
    if (!method) return false;
    const int r =
        PyObject_SetAttrString(reinterpret_cast<PyObject*>(st->request_type), "Response", method);
    Py_DECREF(method);
    return r == 0;
}

int module_exec(PyObject* m) {
    ModuleState* st = state_of_module(m);
    if (!(st->request_type = add_type(m, &request_spec, "Request"))) return -1;
    if (!(st->response_type = add_type(m, &response_spec, "Response"))) return -1;
    response_type_ready(st->response_type);
    if (!request_type_add_response(m, st)) return -1;
    if (!(st->server_type = add_type(m, &server_spec, "Server"))) return -1;
    if (!(st->server_config_type = add_type(m, &server_config_spec, "ServerConfig"))) return -1;
    if (!add_settings(m)) return -1;
    st->suspended_type =
        reinterpret_cast<PyTypeObject*>(PyType_FromModuleAndSpec(m, &suspended_spec, nullptr));
    if (!st->suspended_type) return -1;
    if (!(st->transfer_type = add_type(m, &transfer_spec, "Transfer"))) return -1;
    if (!(st->body_reader_type = add_type(m, &body_reader_spec, "BodyReader"))) return -1;
    if (!asgi::init(m, st->asgi)) return -1;
    st->client_disconnected = PyErr_NewExceptionWithDoc(
        "lesto._native.ClientDisconnected",
        "The client has gone (or the response was cut short): nothing more can be sent to it.",
        PyExc_ConnectionError, nullptr);
    if (!st->client_disconnected ||
        PyModule_AddObjectRef(m, "ClientDisconnected", st->client_disconnected) < 0) {
        return -1;
    }
    if (!(st->websocket_type = add_type(m, &websocket_spec, "WebSocket"))) return -1;
    if (!(st->tls_context_type = add_type(m, &tls_context_spec, "TlsContext"))) return -1;
    st->websocket_closed = PyErr_NewExceptionWithDoc(
        "lesto._native.WebSocketClosed",
        "The WebSocket is closed: `code` and `reason` say how (1006: the connection was lost "
        "without a close).",
        st->client_disconnected, nullptr);
    if (!st->websocket_closed ||
        PyModule_AddObjectRef(m, "WebSocketClosed", st->websocket_closed) < 0) {
        return -1;
    }
    for (std::size_t i = 0; i < response_arg_count; ++i) {
        if (!(st->kw[i] = PyUnicode_InternFromString(response_args[i].name.data()))) return -1;
    }
    for (std::size_t i = 0; i < std::size(interned_methods); ++i) {
        if (!(st->methods[i] = PyUnicode_InternFromString(interned_methods[i].data()))) return -1;
    }
    st->json_scratch = json_scratch_new();
    if (!(st->str_add_done_callback = PyUnicode_InternFromString("add_done_callback"))) return -1;
    if (!(st->str_result = PyUnicode_InternFromString("result"))) return -1;
    if (!(st->str_cancelled = PyUnicode_InternFromString("cancelled"))) return -1;
    if (!(st->str_cancel = PyUnicode_InternFromString("cancel"))) return -1;
    if (!(st->str_bind = PyUnicode_InternFromString("bind"))) return -1;
    if (!(st->str_drive = PyUnicode_InternFromString("drive"))) return -1;
    if (!(st->str_cancels_attr = PyUnicode_InternFromString("_cancels"))) return -1;
    if (!(st->str_http = PyUnicode_InternFromString("http"))) return -1;
    if (!(st->str_https = PyUnicode_InternFromString("https"))) return -1;
    return 0;
}

int module_traverse(PyObject* m, visitproc visit, void* arg) {
    ModuleState* st = state_of_module(m);
    if (!st) return 0;
    Py_VISIT(st->request_type);
    Py_VISIT(st->response_type);
    Py_VISIT(st->server_type);
    Py_VISIT(st->server_config_type);
    Py_VISIT(st->suspended_type);
    Py_VISIT(st->transfer_type);
    Py_VISIT(st->body_reader_type);
    Py_VISIT(st->websocket_type);
    Py_VISIT(st->tls_context_type);
    Py_VISIT(st->websocket_closed);
    if (int r = asgi::traverse(st->asgi, visit, arg)) return r;
    Py_VISIT(st->client_disconnected);
    Py_VISIT(st->json_dumps);
    Py_VISIT(st->json_mappings);
    return 0;
}

int module_clear(PyObject* m) {
    ModuleState* st = state_of_module(m);
    if (!st) return 0;
    Py_CLEAR(st->request_type);
    response_spares_clear(st);
    Py_CLEAR(st->response_type);
    Py_CLEAR(st->server_type);
    Py_CLEAR(st->server_config_type);
    Py_CLEAR(st->suspended_type);
    Py_CLEAR(st->transfer_type);
    Py_CLEAR(st->body_reader_type);
    Py_CLEAR(st->websocket_type);
    Py_CLEAR(st->tls_context_type);
    Py_CLEAR(st->websocket_closed);
    asgi::clear(st->asgi);
    Py_CLEAR(st->client_disconnected);
    Py_CLEAR(st->json_dumps);
    Py_CLEAR(st->json_mappings);
    for (PyObject*& o : st->kw) Py_CLEAR(o);
    for (PyObject*& o : st->methods) Py_CLEAR(o);
    Py_CLEAR(st->str_add_done_callback);
    Py_CLEAR(st->str_result);
    Py_CLEAR(st->str_cancelled);
    Py_CLEAR(st->str_cancel);
    Py_CLEAR(st->str_bind);
    Py_CLEAR(st->str_drive);
    Py_CLEAR(st->str_cancels_attr);
    Py_CLEAR(st->str_http);
    Py_CLEAR(st->str_https);
    return 0;
}

void module_free(void* m) {
    module_clear(static_cast<PyObject*>(m));
    if (ModuleState* st = state_of_module(static_cast<PyObject*>(m))) {
        json_scratch_free(st->json_scratch);
        st->json_scratch = nullptr;
    }
}

PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, reinterpret_cast<void*>(module_exec)},
    {0, nullptr},
};

}  // namespace

bool add_route(router::Router& router, PyObject* pattern, PyObject* methods) {
    // Views of the whole UTF-8, not C strings: a NUL would cut a pattern
    // or method short and route requests the app never asked for.
    std::string_view p;
    if (!utf8_view(pattern, p)) return false;
    std::vector<std::string> names;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(methods); ++i) {
        PyObject* m = PyTuple_GET_ITEM(methods, i);
        std::string_view name;
        if (!PyUnicode_Check(m)) {
            PyErr_Format(PyExc_TypeError, "method names must be str, not %R", m);
            return false;
        }
        if (!utf8_view(m, name)) return false;
        names.emplace_back(name);
    }
    try {
        router.add(p, std::move(names));
    } catch (const router::RouteError& e) {
        PyErr_SetString(PyExc_ValueError, e.what());
        return false;
    }
    return true;
}

ModuleState* state_of_type(PyTypeObject* type) {
    return static_cast<ModuleState*>(PyType_GetModuleState(type));
}

}  // namespace lesto::py

// NOLINTNEXTLINE(bugprone-reserved-identifier): the name CPython looks for, PyInit_<module>
PyMODINIT_FUNC PyInit__native() {
    using namespace lesto::py;
    module_def = {
        PyModuleDef_HEAD_INIT,
        "lesto._native",
        "Lesto's C++ engine: the server, requests and responses.",
        sizeof(ModuleState),
        module_methods,
        module_slots,
        module_traverse,
        module_clear,
        module_free,
    };
    return PyModuleDef_Init(&module_def);
}
