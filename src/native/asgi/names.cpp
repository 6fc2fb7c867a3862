// names.cpp: the front-end's per-module strings, types and message builders.
#include "asgi.hpp"

namespace lesto::py::asgi {

PyObject* request_message(const Names& n, std::string_view piece, bool more) {
    PyObject* m = PyDict_New();
    if (!m) return nullptr;
    PyObject* body =
        piece.empty()
            ? Py_NewRef(n.empty_bytes)
            : PyBytes_FromStringAndSize(piece.data(), static_cast<Py_ssize_t>(piece.size()));
    if (!body || PyDict_SetItem(m, n.type, n.http_request) < 0 ||
        PyDict_SetItem(m, n.body, body) < 0 ||
        PyDict_SetItem(m, n.more_body, more ? Py_True : Py_False) < 0) {
        Py_XDECREF(body);
        Py_DECREF(m);
        return nullptr;
    }
    Py_DECREF(body);
    return m;
}

PyObject* disconnect_message(const Names& n) { return PyDict_Copy(n.disconnect_message); }

PyObject* websocket_message(const Names& n, bool text, std::string_view payload) {
    PyObject* m = PyDict_New();
    if (!m) return nullptr;
    const auto size = static_cast<Py_ssize_t>(payload.size());
    PyObject* value = text ? PyUnicode_DecodeUTF8(payload.data(), size, nullptr)
                           : PyBytes_FromStringAndSize(payload.data(), size);
    if (!value || PyDict_SetItem(m, n.type, n.ws_receive) < 0 ||
        PyDict_SetItem(m, text ? n.text : n.bytes, value) < 0) {
        Py_XDECREF(value);
        Py_DECREF(m);
        return nullptr;
    }
    Py_DECREF(value);
    return m;
}

PyObject* websocket_disconnect(const Names& n, int code, PyObject* reason) {
    PyObject* m = PyDict_New();
    PyObject* c = PyLong_FromLong(code);
    if (!m || !c || PyDict_SetItem(m, n.type, n.ws_disconnect) < 0 ||
        PyDict_SetItem(m, n.code, c) < 0 || PyDict_SetItem(m, n.reason, reason) < 0) {
        Py_XDECREF(c);
        Py_XDECREF(m);
        return nullptr;
    }
    Py_DECREF(c);
    return m;
}

bool init(PyObject* module, Names& n) {
    struct Str {
        PyObject** slot;
        const char* text;
    };
    const Str strings[] = {
        {&n.type, "type"},
        {&n.body, "body"},
        {&n.more_body, "more_body"},
        {&n.status, "status"},
        {&n.headers, "headers"},
        {&n.path, "path"},
        {&n.http_request, "http.request"},
        {&n.http_disconnect, "http.disconnect"},
        {&n.response_start, "http.response.start"},
        {&n.response_body, "http.response.body"},
        {&n.response_pathsend, "http.response.pathsend"},
        {&n.http_version, "http_version"},
        {&n.method, "method"},
        {&n.raw_path, "raw_path"},
        {&n.query_string, "query_string"},
        {&n.client, "client"},
        {&n.state, "state"},
        {&n.root_path, "root_path"},
        {&n.v1_0, "1.0"},
        {&n.empty_str, ""},
        {&n.scheme, "scheme"},
        {&n.https, "https"},
        {&n.wss, "wss"},
        {&n.extensions, "extensions"},
        {&n.tls, "tls"},
        {&n.text, "text"},
        {&n.bytes, "bytes"},
        {&n.code, "code"},
        {&n.reason, "reason"},
        {&n.subprotocol, "subprotocol"},
        {&n.subprotocols, "subprotocols"},
        {&n.ws_connect, "websocket.connect"},
        {&n.ws_accept, "websocket.accept"},
        {&n.ws_receive, "websocket.receive"},
        {&n.ws_send, "websocket.send"},
        {&n.ws_close, "websocket.close"},
        {&n.ws_disconnect, "websocket.disconnect"},
        {&n.ws_response_start, "websocket.http.response.start"},
        {&n.ws_response_body, "websocket.http.response.body"},
    };
    for (const Str& s : strings) {
        if (!(*s.slot = PyUnicode_InternFromString(s.text))) return false;
    }
    if (!(n.empty_bytes = PyBytes_FromStringAndSize("", 0))) return false;
    for (std::size_t i = 0; i < std::size(common_header_names); ++i) {
        const std::string_view name = common_header_names[i];
        n.header_names[i] =
            PyBytes_FromStringAndSize(name.data(), static_cast<Py_ssize_t>(name.size()));
        if (!n.header_names[i]) return false;
    }
    if (!(n.disconnect_message = PyDict_New()) ||
        PyDict_SetItem(n.disconnect_message, n.type, n.http_disconnect) < 0)
        return false;
    n.call_type =
        reinterpret_cast<PyTypeObject*>(PyType_FromModuleAndSpec(module, &call_spec, nullptr));
    if (!n.call_type) return false;
    n.ready_type =
        reinterpret_cast<PyTypeObject*>(PyType_FromModuleAndSpec(module, &ready_spec, nullptr));
    if (!n.ready_type) return false;
    n.guard_type =
        reinterpret_cast<PyTypeObject*>(PyType_FromModuleAndSpec(module, &guard_spec, nullptr));
    if (!n.guard_type) return false;
    // asyncio's Task takes a coroutine: register the guard as one (what
    // asyncio.iscoroutine asks of an object that is not a native coroutine).
    PyObject* abc = PyImport_ImportModule("collections.abc");
    PyObject* coroutine = abc ? PyObject_GetAttrString(abc, "Coroutine") : nullptr;
    PyObject* registered =
        coroutine ? PyObject_CallMethod(coroutine, "register", "O", n.guard_type) : nullptr;
    Py_XDECREF(registered);
    Py_XDECREF(coroutine);
    Py_XDECREF(abc);
    if (!registered) return false;
    n.done = ready(n, Py_NewRef(Py_None));
    return n.done != nullptr;
}

namespace {
PyObject** all(Names& n, std::size_t& count) {
    static_assert(sizeof(Names) % sizeof(PyObject*) == 0, "Names holds pointers only");
    count = sizeof(Names) / sizeof(PyObject*);
    return reinterpret_cast<PyObject**>(&n);
}
}  // namespace

int traverse(Names& n, visitproc visit, void* arg) {
    std::size_t count;
    PyObject** p = all(n, count);
    for (std::size_t i = 0; i < count; ++i) Py_VISIT(p[i]);
    return 0;
}

void clear(Names& n) {
    std::size_t count;
    PyObject** p = all(n, count);
    for (std::size_t i = 0; i < count; ++i) Py_CLEAR(p[i]);
}

}  // namespace lesto::py::asgi
