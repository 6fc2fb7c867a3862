// scope.cpp: the ASGI http scope of one request.
//
// What is the same for every request (type, asgi, scheme, root_path, server,
// extensions) is in the server's template, copied per request; the request's
// own keys are set on the copy. `state` is copied one level deep, as the
// lifespan spec asks: an app may add keys per request without touching the
// others'.
#include "asgi.hpp"

#include "../engine.hpp"
#include "../websocket.hpp"
#include "http/fields.hpp"
#include "parser/percent.hpp"

#include <array>
#include <string>

namespace lesto::py::asgi {

namespace {

/// The method as a str: the interned one every request of a common method shares.
PyObject* method_str(ModuleState* st, std::string_view method) {
    for (std::size_t i = 0; i < std::size(interned_methods); ++i) {
        if (interned_methods[i] == method) return Py_NewRef(st->methods[i]);
    }
    return PyUnicode_DecodeLatin1(method.data(), static_cast<Py_ssize_t>(method.size()), nullptr);
}

PyObject* bytes_of(std::string_view s) {
    return PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
}

/// A header name, lower-cased (ASGI's rule): a common one's shared bytes, else new ones.
PyObject* lower_name(const Names& n, std::string_view name) {
    std::array<char, 32> small;
    if (name.size() <= small.size()) {
        for (std::size_t i = 0; i < name.size(); ++i) small[i] = http::ascii_lower(name[i]);
        const std::string_view lower(small.data(), name.size());
        for (std::size_t i = 0; i < std::size(common_header_names); ++i) {
            if (common_header_names[i] == lower) return Py_NewRef(n.header_names[i]);
        }
    }
    PyObject* b = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(name.size()));
    if (!b) return nullptr;
    char* out = PyBytes_AS_STRING(b);
    for (std::size_t i = 0; i < name.size(); ++i) out[i] = http::ascii_lower(name[i]);
    return b;
}

PyObject* header_list(const Names& n, const http::RequestHead& head) {
    PyObject* list = PyList_New(static_cast<Py_ssize_t>(head.headers.size()));
    if (!list) return nullptr;
    Py_ssize_t i = 0;
    for (const http::Header& h : head.headers) {
        PyObject* name = lower_name(n, h.name);
        PyObject* value = name ? bytes_of(h.value) : nullptr;
        PyObject* pair = value ? PyTuple_Pack(2, name, value) : nullptr;
        Py_XDECREF(name);
        Py_XDECREF(value);
        if (!pair) {
            Py_DECREF(list);
            return nullptr;
        }
        PyList_SET_ITEM(list, i++, pair);
    }
    return list;
}

/// The path as the app sees it: every escape decoded, the UTF-8 read with
/// surrogateescape (as request.path is), so no request is refused for it;
/// after `root` (the root_path: the path includes it, as uvicorn gives it
/// and Starlette expects).
PyObject* decoded_path(std::string_view raw, PyObject* root) {
    std::string decoded;
    const std::string_view path = http::percent_decode(raw, decoded) ? decoded : raw;
    PyObject* own =
        PyUnicode_DecodeUTF8(path.data(), static_cast<Py_ssize_t>(path.size()), "surrogateescape");
    if (!own || !root) return own;
    PyObject* whole = PyUnicode_Concat(root, own);
    Py_DECREF(own);
    return whole;
}

/// The raw path after the root_path's UTF-8.
PyObject* raw_path(std::string_view raw, PyObject* root) {
    if (!root) return bytes_of(raw);
    Py_ssize_t n;
    const char* r = utf8_of(root, &n);
    if (!r) return nullptr;
    std::string whole(r, static_cast<std::size_t>(n));
    whole.append(raw);
    return bytes_of(whole);
}

/// The client's address as a str: the last one's when it is the same, as
/// it is for most requests (a proxy's, a few clients' keep-alive connections).
PyObject* client_host(Engine& e, std::string_view addr) {
    if (e.client_host_) {
        Py_ssize_t n = 0;
        const char* last = utf8_of(e.client_host_, &n);
        if (last && std::string_view(last, static_cast<std::size_t>(n)) == addr)
            return Py_NewRef(e.client_host_);
        PyErr_Clear();
    }
    PyObject* host = PyUnicode_FromStringAndSize(addr.data(), static_cast<Py_ssize_t>(addr.size()));
    if (host) Py_XSETREF(e.client_host_, Py_NewRef(host));
    return host;
}

bool set(PyObject* scope, PyObject* key, PyObject* value) {
    if (!value) return false;
    const int r = PyDict_SetItem(scope, key, value);
    Py_DECREF(value);
    return r == 0;
}

/// Over TLS: the scheme says so, and the extensions (shared by the
/// template's requests, so copied here) gain "tls". The template is the
/// plain one: a server may listen on a plain and a TLS port at once.
bool set_tls(PyObject* scope, const Names& n, const net::TlsPeer& peer, bool websocket) {
    PyObject* shared = PyDict_GetItemWithError(scope, n.extensions);
    if (!shared && PyErr_Occurred()) return false;
    PyObject* extensions = shared && PyDict_Check(shared) ? PyDict_Copy(shared) : PyDict_New();
    if (!extensions) return false;
    if (!set(extensions, n.tls, tls_extension(peer))) {
        Py_DECREF(extensions);
        return false;
    }
    return set(scope, n.extensions, extensions) &&
           set(scope, n.scheme, Py_NewRef(websocket ? n.wss : n.https));
}

}  // namespace

PyObject* make_scope(Engine& e, Connection& conn, RequestObject* req, WebSocketObject* ws) {
    ModuleState* st = e.self_->state;
    const Names& n = st->asgi;
    const http::RequestHead& head = *req->head;
    PyObject* scope = PyDict_Copy(ws ? e.asgi_websocket_scope_ : e.asgi_scope_);
    if (!scope) return nullptr;
    PyObject* client = PyTuple_New(2);
    if (client) {
        PyObject* host = client_host(e, conn.remote_addr());
        PyObject* port = host ? PyLong_FromLong(conn.remote_port()) : nullptr;
        if (!port) {
            Py_XDECREF(host);
            Py_CLEAR(client);
        } else {
            PyTuple_SET_ITEM(client, 0, host);
            PyTuple_SET_ITEM(client, 1, port);
        }
    }
    PyObject* state = PyDict_GetItemWithError(scope, n.state);
    PyObject* root = PyDict_GetItemWithError(scope, n.root_path);
    if (root && (!PyUnicode_Check(root) || PyUnicode_GET_LENGTH(root) == 0)) root = nullptr;
    // The template holds HTTP/1.1, GET and no query (lesto/asgi.py): each is
    // set only when this request differs, since every set is a lookup.
    const bool ok =
        (head.version_minor != 0 || set(scope, n.http_version, Py_NewRef(n.v1_0))) &&
        (ws ? set(scope, n.subprotocols, PySequence_List(websocket_offered(ws)))
            : head.method == "GET" || set(scope, n.method, method_str(st, head.method))) &&
        set(scope, n.path, decoded_path(head.path, root)) &&
        set(scope, n.raw_path, raw_path(head.path, root)) &&
        (head.query.empty() || set(scope, n.query_string, bytes_of(head.query))) &&
        set(scope, n.headers, header_list(n, head)) && set(scope, n.client, client) &&
        (!state || set(scope, n.state, PyDict_Copy(state))) &&
        (!conn.tls() || set_tls(scope, n, *conn.tls(), ws != nullptr));
    if (!ok) {
        Py_DECREF(scope);
        return nullptr;
    }
    return scope;
}

}  // namespace lesto::py::asgi
