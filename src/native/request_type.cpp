// request_type.cpp: lesto._native.Request: zero-copy views of a request, Python values built on
// first access.
#include "native.hpp"

#include "parser/percent.hpp"

#include <structmember.h>

#include <cstddef>
#include <cstring>

namespace lesto::py {

namespace {

PyObject* utf8(std::string_view s);

// The router saw %2F and %25 still encoded (see routing_decode): finish.
PyObject* decoded_utf8(std::string_view s) {
    std::string out;
    return http::percent_decode(s, out) ? utf8(out) : utf8(s);
}

PyObject* utf8(std::string_view s) {
    // Undecodable bytes are kept with surrogateescape: no request is refused
    // for its path's encoding.
    return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
}

PyObject* latin1(std::string_view s) {
    return PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr);
}

// Header names as japronto showed them: a letter that follows a letter is
// lower case, any other letter (first, or after a digit, '-', '_', ...) is
// upper case: "x-0a" -> "X-0A", "x_y" -> "X_Y", "WWW-authenticate" ->
// "Www-Authenticate". One function of the lower-cased name, so names that
// differ only in case show alike, as lookups (case-insensitive) see them.
PyObject* title_case(std::string_view name) {
    PyObject* s = PyUnicode_New(static_cast<Py_ssize_t>(name.size()), 127);
    if (!s) return nullptr;
    auto* p = static_cast<char*>(PyUnicode_DATA(s));
    bool after_letter = false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        const char lower = static_cast<char>(c | 0x20);
        const bool letter = lower >= 'a' && lower <= 'z';
        if (letter) c = after_letter ? lower : static_cast<char>(lower - 32);
        p[i] = c;
        after_letter = letter;
    }
    return s;
}

template <class F> PyObject* cached(RequestObject* r, PyObject*& slot, F make) {
    if (!slot) {
        slot = make();
        r->built = true;
    }
    return Py_XNewRef(slot);
}

PyObject* Request_get_method(RequestObject* r, void*) {
    return cached(r, r->method_obj, [&]() -> PyObject* {
        ModuleState* st = r->server->state;
        for (std::size_t i = 0; i < std::size(interned_methods); ++i) {
            if (r->head->method == interned_methods[i]) return Py_NewRef(st->methods[i]);
        }
        return latin1(r->head->method);
    });
}

PyObject* Request_get_path(RequestObject* r, void*) {
    return cached(r, r->path_obj, [&] { return decoded_utf8(r->route_path); });
}

PyObject* Request_get_version(RequestObject* r, void*) {
    return PyUnicode_FromString(r->head->version_minor == 0 ? "1.0" : "1.1");
}

PyObject* Request_get_query_string(RequestObject* r, void*) {
    if (!r->head->has_query) Py_RETURN_NONE;
    return cached(r, r->query_string_obj, [&] { return latin1(r->head->query); });
}

PyObject* Request_get_headers(RequestObject* r, void*) {
    return cached(r, r->headers_obj, [&]() -> PyObject* {
        const auto& headers = r->head->headers;
        PyObject* pairs = PyList_New(static_cast<Py_ssize_t>(headers.size()));
        if (!pairs) return nullptr;
        for (std::size_t i = 0; i < headers.size(); ++i) {
            PyObject* name = title_case(headers[i].name);
            PyObject* value = name ? latin1(headers[i].value) : nullptr;
            PyObject* pair = value ? PyTuple_Pack(2, name, value) : nullptr;
            Py_XDECREF(name);
            Py_XDECREF(value);
            if (!pair) {
                Py_DECREF(pairs);
                return nullptr;
            }
            PyList_SET_ITEM(pairs, static_cast<Py_ssize_t>(i), pair);
        }
        PyObject* result = PyObject_CallOneArg(r->server->headers_factory, pairs);
        Py_DECREF(pairs);
        return result;
    });
}

PyObject* Request_get_body(RequestObject* r, void*) {
    if (!r->has_body) Py_RETURN_NONE;
    if (r->body_reader) {
        PyErr_SetString(PyExc_RuntimeError,
                        "this route reads its body as a stream (stream_body=True): use "
                        "`async for piece in request.stream()` or `await request.read()`");
        return nullptr;
    }
    return cached(r, r->body_obj, [&] {
        return PyBytes_FromStringAndSize(r->body.data(), static_cast<Py_ssize_t>(r->body.size()));
    });
}

PyObject* Request_get_match_dict(RequestObject* r, void*) {
    return cached(r, r->match_dict_obj, [&]() -> PyObject* {
        PyObject* d = PyDict_New();
        if (!d || r->params.empty()) return d;
        const router::Route& route = engine_router(*r->server->engine).route(r->route_index);
        for (const router::Param& p : r->params) {
            const std::string& name = route.param_names[p.name];
            PyObject* key =
                PyUnicode_FromStringAndSize(name.data(), static_cast<Py_ssize_t>(name.size()));
            PyObject* value = key ? decoded_utf8(p.value) : nullptr;
            const int set = value ? PyDict_SetItem(d, key, value) : -1;
            Py_XDECREF(key);
            Py_XDECREF(value);
            if (set < 0) {
                Py_DECREF(d);
                return nullptr;
            }
        }
        return d;
    });
}

PyObject* Request_get_keep_alive(RequestObject* r, void*) {
    return PyBool_FromLong(r->head->keep_alive);
}

PyObject* Request_get_remote_addr(RequestObject* r, void*) {
    return cached(r, r->remote_addr_obj, [&] {
        return PyUnicode_FromStringAndSize(r->remote_addr->data(),
                                           static_cast<Py_ssize_t>(r->remote_addr->size()));
    });
}

PyObject* Request_get_scheme(RequestObject* r, void*) {
    ModuleState* st = r->server->state;
    return Py_NewRef(*r->tls ? st->str_https : st->str_http);
}

PyObject* Request_get_tls(RequestObject* r, void*) {
    if (!*r->tls) Py_RETURN_NONE;
    return cached(r, r->tls_obj, [&] { return tls_extension(**r->tls); });
}

PyObject* Request_get_host(RequestObject* r, void*) {
    if (r->head->host.empty()) Py_RETURN_NONE;
    return latin1(r->head->host);
}

PyObject* Request_get_route(RequestObject* r, void*) {
    return Py_NewRef(r->route ? r->route : Py_None);
}

PyObject* Request_get_extra(RequestObject* r, void*) { return cached(r, r->extra_obj, PyDict_New); }

PyObject* Request_add_done_callback(RequestObject* r, PyObject* cb) {
    if (!PyCallable_Check(cb)) {
        PyErr_Format(PyExc_TypeError, "add_done_callback() takes a callable, not %.100R", cb);
        return nullptr;
    }
    if (!r->done_callbacks && !(r->done_callbacks = PyList_New(0))) return nullptr;
    if (PyList_Append(r->done_callbacks, cb) < 0) return nullptr;
    Py_RETURN_NONE;
}

void Request_dealloc(RequestObject* r) {
    PyTypeObject* type = Py_TYPE(r);
    request_reset(r);
    Py_CLEAR(r->dict);
    Py_CLEAR(r->server);
    type->tp_free(r);
    Py_DECREF(type);
}

PyObject* Request_get_body_reader(RequestObject* r, void*) {
    return Py_NewRef(r->body_reader ? r->body_reader : Py_None);
}

PyGetSetDef Request_getset[] = {
    {"body_reader", reinterpret_cast<getter>(Request_get_body_reader), nullptr,
     "The BodyReader of a body that streams (a stream_body route's), else None; "
     "request.stream() reads it.",
     nullptr},
    {"method", reinterpret_cast<getter>(Request_get_method), nullptr, "Request method, e.g. 'GET'.",
     nullptr},
    {"path", reinterpret_cast<getter>(Request_get_path), nullptr, "Path, percent-decoded.",
     nullptr},
    {"version", reinterpret_cast<getter>(Request_get_version), nullptr, "'1.0' or '1.1'.", nullptr},
    {"query_string", reinterpret_cast<getter>(Request_get_query_string), nullptr,
     "Raw query string, None without '?'.", nullptr},
    {"headers", reinterpret_cast<getter>(Request_get_headers), nullptr,
     "Case-insensitive header mapping.", nullptr},
    {"body", reinterpret_cast<getter>(Request_get_body), nullptr,
     "Body bytes, None without a body.", nullptr},
    {"match_dict", reinterpret_cast<getter>(Request_get_match_dict), nullptr,
     "Values of the route's {placeholders}.", nullptr},
    {"keep_alive", reinterpret_cast<getter>(Request_get_keep_alive), nullptr,
     "The connection stays open after this request.", nullptr},
    {"remote_addr", reinterpret_cast<getter>(Request_get_remote_addr), nullptr,
     "The client's IP address.", nullptr},
    // The same value, under a name that proxy headers never replace.
    {"peer_addr", reinterpret_cast<getter>(Request_get_remote_addr), nullptr,
     "The IP address of the connection's peer (behind a proxy, the proxy's).", nullptr},
    {"route", reinterpret_cast<getter>(Request_get_route), nullptr, "The matched route.", nullptr},
    {"scheme", reinterpret_cast<getter>(Request_get_scheme), nullptr,
     "'https' when the connection speaks TLS, else 'http' (with proxy headers, what a trusted "
     "proxy says).",
     nullptr},
    {"tls", reinterpret_cast<getter>(Request_get_tls), nullptr,
     "None over plain TCP; over TLS a dict, as ASGI's tls extension: tls_version (0x0304: TLS "
     "1.3), cipher_suite (its IANA number), client_cert_name (the client certificate's subject, "
     "RFC 4514, or None), client_cert_chain (PEM, the client's first), client_cert_error and "
     "server_cert (None).",
     nullptr},
    {"host", reinterpret_cast<getter>(Request_get_host), nullptr,
     "The authority as sent: an absolute-form target's, else the Host header; None if empty.",
     nullptr},
    {"extra", reinterpret_cast<getter>(Request_get_extra), nullptr,
     "A dict for the application's per-request state.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyMethodDef Request_methods[] = {
    {"add_done_callback", reinterpret_cast<PyCFunction>(Request_add_done_callback), METH_O,
     "add_done_callback($self, cb, /)\n--\n\n"
     "Call cb(request) once the response has been written, or the connection closed first."},
    {nullptr, nullptr, 0, nullptr},
};

PyMemberDef Request_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(RequestObject, dict), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

PyObject* Request_new(PyTypeObject* type, PyObject*, PyObject*) {
    PyErr_Format(PyExc_TypeError, "%s objects are made by the server for each request",
                 type->tp_name);
    return nullptr;
}

PyType_Slot Request_slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(Request_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(Request_dealloc)},
    {Py_tp_getset, Request_getset},
    {Py_tp_methods, Request_methods},
    {Py_tp_members, Request_members},
    {Py_tp_doc, const_cast<char*>("An HTTP request, as given to a handler.")},
    {0, nullptr},
};

}  // namespace

PyType_Spec request_spec = {
    "lesto._native.Request", sizeof(RequestObject), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    Request_slots,
};

void request_bind(RequestObject* r, ServerObject* server, Connection& conn, std::uint64_t seq,
                  const RequestRef& ref, std::string_view route_path, const router::Match* match,
                  PyObject* route) {
    if (r->server != server) {
        Py_XINCREF(server);
        Py_XSETREF(r->server, server);
    }
    r->head = &ref.head;
    r->raw_head = ref.raw_head;
    r->body = ref.body;
    r->has_body = ref.has_body;
    const bool found = match && match->kind == router::MatchKind::found;
    r->params = found ? std::span<const router::Param>(match->params, match->param_count)
                      : std::span<const router::Param>();
    r->route_index = found ? match->route : 0;
    r->route_path = route_path;
    r->remote_addr = &conn.remote_addr();
    r->tls = &conn.tls();
    r->conn_id = conn.id();
    r->seq = seq;
    r->route = Py_XNewRef(route);
}

void request_reset_extras(RequestObject* r) {
    if (r->built) {
        Py_CLEAR(r->method_obj);
        Py_CLEAR(r->path_obj);
        Py_CLEAR(r->headers_obj);
        Py_CLEAR(r->body_obj);
        Py_CLEAR(r->query_string_obj);
        Py_CLEAR(r->match_dict_obj);
        Py_CLEAR(r->remote_addr_obj);
        Py_CLEAR(r->tls_obj);
        Py_CLEAR(r->extra_obj);
        r->built = false;
    }
    Py_CLEAR(r->done_callbacks);
    Py_CLEAR(r->body_reader);
    if (r->owned) {
        engine_recycle(r->server, r->owned);
        r->owned = nullptr;
    }
}

void request_detach(RequestObject* r) {
    if (r->owned) return;
    OwnedRequest* o = engine_owned_request(r->server);
    o->raw_head.assign(r->raw_head);
    o->body.assign(r->body);
    o->remote_addr = *r->remote_addr;
    o->tls = *r->tls;
    o->head = *r->head;
    o->head.rebase(r->raw_head.data(), o->raw_head.data());
    o->route_path.assign(r->route_path);
    // Parameters are views into the path the router matched.
    o->params.assign(r->params.begin(), r->params.end());
    for (router::Param& p : o->params)
        p.value = {o->route_path.data() + (p.value.data() - r->route_path.data()), p.value.size()};
    r->params = o->params;
    r->route_path = o->route_path;
    r->owned = o;
    r->head = &o->head;
    r->raw_head = o->raw_head;
    r->body = o->body;
    r->remote_addr = &o->remote_addr;
    r->tls = &o->tls;
}

}  // namespace lesto::py
