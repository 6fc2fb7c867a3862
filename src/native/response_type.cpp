// response_type.cpp: lesto.Response, built by request.Response(...) or Response(...), and its wire view.
#include <cstring>
#include <vector>

#include "native.hpp"
#include "refcount.hpp"

namespace lesto::py {

namespace {

enum Kw { kw_code, kw_text, kw_body, kw_json, kw_mime_type, kw_encoding, kw_headers, kw_cookies };
constexpr const char* kw_names[8] = {"code",      "text",     "body",    "json",
                                     "mime_type", "encoding", "headers", "cookies"};

// japronto's order of the arguments given by position: Response('hi', 404).
constexpr Kw positional_order[8] = {kw_text,      kw_code,     kw_body,    kw_json,
                                    kw_mime_type, kw_encoding, kw_headers, kw_cookies};

int kw_index(ModuleState* st, PyObject* name) {
    for (int i = 0; i < 8; ++i) {
        if (name == st->kw[i]) return i;  // interned: the usual case
    }
    for (int i = 0; i < 8; ++i) {
        if (PyUnicode_CompareWithASCIIString(name, kw_names[i]) == 0) return i;
    }
    return -1;
}

/// Reads the keyword arguments (`kwnames`, their values at `values`) into
/// `a`; bit k of `given` is set when argument k has a value (None counts as
/// not given). With `Checked`, an argument already named in `named` (given by
/// position) is an error; a call without positional arguments cannot name
/// one twice, and skips the test.
template <bool Checked>
[[gnu::always_inline]] inline bool take_keywords(ModuleState* st, PyObject* const* values,
                                                 PyObject* kwnames, PyObject* (&a)[8], unsigned& given,
                                                 unsigned named) {
    const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; ++i) {
        PyObject* name = PyTuple_GET_ITEM(kwnames, i);
        const int k = kw_index(st, name);
        if (k < 0) {
            PyErr_Format(PyExc_TypeError,
                         "Response() got an unexpected keyword argument %R (expected code, text, "
                         "body, json, mime_type, encoding, headers or cookies)",
                         name);
            return false;
        }
        if constexpr (Checked) {
            if (named & (1u << k)) {
                PyErr_Format(PyExc_TypeError,
                             "Response() got multiple values for argument '%s' (by position and "
                             "as %s=)",
                             kw_names[k], kw_names[k]);
                return false;
            }
            named |= 1u << k;
        }
        if (values[i] != Py_None) {
            a[k] = values[i];
            given |= 1u << k;
        }
    }
    return true;
}

/// Arguments by position, in japronto's order, then the keywords after them.
/// Out of line: inlined, it would cost the keyword-only call registers.
[[gnu::noinline]] bool take_positional(ModuleState* st, PyObject* const* args, std::size_t nargs, PyObject* kwnames,
                     PyObject* (&a)[8], unsigned& given) {
    if (nargs > 8) {
        PyErr_Format(PyExc_TypeError,
                     "Response() takes at most 8 positional arguments (text, code, body, json, "
                     "mime_type, encoding, headers, cookies), %zu given",
                     nargs);
        return false;
    }
    unsigned named = 0;
    for (std::size_t i = 0; i < nargs; ++i) {
        const int k = positional_order[i];
        named |= 1u << k;
        if (args[i] != Py_None) {
            a[k] = args[i];
            given |= 1u << k;
        }
    }
    return take_keywords<true>(st, args + nargs, kwnames, a, given, named);
}

bool iequals(std::string_view a, std::string_view lower) {
    if (a.size() != lower.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (c != lower[i]) return false;
    }
    return true;
}

bool has_crlf_or_nul(const char* p, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; ++i) {
        if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0') return true;
    }
    return false;
}

// Headers are checked when the Response is built, so misuse raises in the
// handler that wrote it, with a message naming the header.
bool check_headers(PyObject* headers) {
    if (!PyDict_Check(headers)) {
        PyErr_Format(PyExc_TypeError, "Response(headers=...) must be a dict of str to str, not %.100s",
                     Py_TYPE(headers)->tp_name);
        return false;
    }
    Py_ssize_t pos = 0;
    PyObject *name, *value;
    while (PyDict_Next(headers, &pos, &name, &value)) {
        if (!PyUnicode_Check(name) || !PyUnicode_Check(value)) {
            PyErr_Format(PyExc_TypeError,
                         "Response header names and values must be str, got %.100s: %.100s",
                         Py_TYPE(name)->tp_name, Py_TYPE(value)->tp_name);
            return false;
        }
        Py_ssize_t n, v;
        const char* pn = PyUnicode_AsUTF8AndSize(name, &n);
        const char* pv = pn ? PyUnicode_AsUTF8AndSize(value, &v) : nullptr;
        if (!pv) return false;
        if (n == 0 || has_crlf_or_nul(pn, n) || has_crlf_or_nul(pv, v)) {
            PyErr_Format(PyExc_ValueError,
                         "Response header %R: %R: names must be non-empty and neither may "
                         "contain CR, LF or NUL",
                         name, value);
            return false;
        }
        const std::string_view nv(pn, static_cast<std::size_t>(n));
        if (iequals(nv, "content-length") || iequals(nv, "transfer-encoding")) {
            PyErr_Format(PyExc_ValueError,
                         "Response header %R is set by the server from the body; remove it", name);
            return false;
        }
        for (Py_ssize_t i = 0; i < n; ++i) {
            const unsigned char c = static_cast<unsigned char>(pn[i]);
            if (c <= ' ' || c >= 0x7f || std::strchr("\"(),/:;<=>?@[\\]{}", c)) {
                PyErr_Format(PyExc_ValueError, "Response header name %R is not a valid token", name);
                return false;
            }
        }
    }
    return true;
}

PyObject* encode_text(PyObject* text, PyObject* encoding) {
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "Response(text=...) must be str, not %.100s (use body= for bytes)",
                     Py_TYPE(text)->tp_name);
        return nullptr;
    }
    if (!encoding) {
        Py_INCREF(text);  // utf-8: encoded when written, from CPython's cached UTF-8
        return text;
    }
    const char* enc = PyUnicode_AsUTF8(encoding);
    return enc ? PyUnicode_AsEncodedString(text, enc, "strict") : nullptr;
}

/// The checks of every argument but text=, out of line: most Responses are
/// built from text= alone. Sets `code`.
bool check_arguments(PyObject* const (&a)[8], int& code) {
    if (a[kw_code]) {
        if (!PyLong_Check(a[kw_code])) {
            PyErr_Format(PyExc_TypeError, "Response(code=...) must be an int, not %.100s",
                         Py_TYPE(a[kw_code])->tp_name);
            return false;
        }
        const long c = PyLong_AsLong(a[kw_code]);
        if (c == -1 && PyErr_Occurred()) return false;
        if (c < 100 || c > 599) {
            PyErr_Format(PyExc_ValueError, "Response(code=%ld): status code must be within 100-599", c);
            return false;
        }
        code = static_cast<int>(c);
    }
    const int given = (a[kw_text] != nullptr) + (a[kw_body] != nullptr) + (a[kw_json] != nullptr);
    if (given > 1) {
        PyErr_SetString(PyExc_TypeError, "Response() takes only one of text=, body= and json=");
        return false;
    }
    for (int k : {kw_mime_type, kw_encoding}) {
        if (a[k] && !PyUnicode_Check(a[k])) {
            PyErr_Format(PyExc_TypeError, "Response(%s=...) must be str, not %.100s", kw_names[k],
                         Py_TYPE(a[k])->tp_name);
            return false;
        }
    }
    return !a[kw_headers] || check_headers(a[kw_headers]);
}

}  // namespace

void response_spares_clear(ModuleState* st) noexcept {
    SpareResponses& spares = st->spare_responses;
    while (spares.count) PyObject_Free(spares.items[--spares.count]);
}

PyObject* response_new(ModuleState* st, PyTypeObject* type, PyObject* const* args,
                       std::size_t nargs, PyObject* kwnames) {
    PyObject* a[8] = {};
    unsigned given = 0;  // bit k: argument k has a value (None counts as not given)
    if (nargs) {
        if (!take_positional(st, args, nargs, kwnames, a, given)) return nullptr;
    } else if (!take_keywords<false>(st, args, kwnames, a, given, 0)) {
        return nullptr;
    }
    int code = 200;
    if ((given & ~(1u << kw_text)) && !check_arguments(a, code)) return nullptr;

    PyObject* content = nullptr;
    BodyKind kind = BodyKind::none;
    if (a[kw_text]) {
        kind = BodyKind::text;
        content = encode_text(a[kw_text], a[kw_encoding]);
    } else if (a[kw_body]) {
        kind = BodyKind::body;
        if (!PyBytes_Check(a[kw_body])) {
            if (!PyObject_CheckBuffer(a[kw_body])) {
                PyErr_Format(PyExc_TypeError,
                             "Response(body=...) must be bytes-like, not %.100s (use text= for str)",
                             Py_TYPE(a[kw_body])->tp_name);
                return nullptr;
            }
            content = PyBytes_FromObject(a[kw_body]);
        } else {
            content = Py_NewRef(a[kw_body]);
        }
    } else if (a[kw_json]) {
        kind = BodyKind::json;
        content = json_dumps(st, a[kw_json]);
    }
    if (kind != BodyKind::none && !content) return nullptr;

    ResponseObject* r;
    SpareResponses& spares = st->spare_responses;
    if (refcount::spare_responses && spares.count) {
        r = reinterpret_cast<ResponseObject*>(spares.items[--spares.count]);
        PyObject_Init(reinterpret_cast<PyObject*>(r), type);
    } else {
        r = PyObject_New(ResponseObject, type);
        if (!r) {
            Py_XDECREF(content);
            return nullptr;
        }
        ++st->responses_made;
    }
    r->state = st;
    r->code = code;
    r->kind = kind;
    r->content = content;
    r->mime_type = Py_XNewRef(a[kw_mime_type]);
    r->encoding = Py_XNewRef(a[kw_encoding]);
    r->headers = Py_XNewRef(a[kw_headers]);
    r->cookies = Py_XNewRef(a[kw_cookies]);
    return reinterpret_cast<PyObject*>(r);
}

namespace {

/// The media type a body kind gets by default, and the whole Content-Type of
/// a response that names neither mime_type nor encoding. As japronto: text
/// and JSON name their charset, raw bytes do not.
struct DefaultType {
    std::string_view mime;
    std::string_view content_type;
};

DefaultType default_type(BodyKind kind) noexcept {
    switch (kind) {
        case BodyKind::text: return {"text/plain", "text/plain; charset=utf-8"};
        case BodyKind::json: return {"application/json", "application/json; charset=utf-8"};
        case BodyKind::body: return {"application/octet-stream", "application/octet-stream"};
        case BodyKind::none: break;
    }
    return {};
}

/// The Content-Type part of `response_view` for a response that names its
/// mime_type or encoding.
bool view_given_type(ResponseObject* r, http::ResponseSpec& spec) {
    if (!r->mime_type) {
        spec.content_type = default_type(r->kind).mime;
    } else if (!utf8_view(r->mime_type, spec.content_type)) {
        return false;
    }
    // As japronto: text and JSON name their charset, raw bytes do not.
    if (r->kind != BodyKind::text && r->kind != BodyKind::json) return true;
    if (!r->encoding) {
        spec.charset = "utf-8";
        return true;
    }
    return utf8_view(r->encoding, spec.charset);
}

/// The user headers and cookies part of `response_view`, for a response that has any.
bool view_user_headers(ResponseObject* r, ResponseView& view) {
    http::ResponseSpec& spec = view.spec;
    view.headers.clear();
    if (r->headers) {
        Py_ssize_t pos = 0;
        PyObject *name, *value;
        while (PyDict_Next(r->headers, &pos, &name, &value)) {
            Py_ssize_t n, v;
            const char* pn = PyUnicode_AsUTF8AndSize(name, &n);
            const char* pv = pn ? PyUnicode_AsUTF8AndSize(value, &v) : nullptr;
            if (!pv) return false;
            view.headers.push_back({{pn, static_cast<std::size_t>(n)}, {pv, static_cast<std::size_t>(v)}});
        }
    }
    spec.headers = view.headers;
    view.cookies.clear();
    view.cookies_storage.clear();
    if (r->cookies) {
        // SimpleCookie: one Set-Cookie per morsel, rendered by the stdlib.
        PyObject* morsels = PyObject_CallMethod(r->cookies, "values", nullptr);
        if (!morsels) return false;
        PyObject* it = PyObject_GetIter(morsels);
        Py_DECREF(morsels);
        if (!it) return false;
        while (PyObject* m = PyIter_Next(it)) {
            PyObject* s = PyObject_CallMethod(m, "OutputString", nullptr);
            Py_DECREF(m);
            if (!s) break;
            Py_ssize_t n;
            const char* p = PyUnicode_AsUTF8AndSize(s, &n);
            if (p) view.cookies_storage.emplace_back(p, static_cast<std::size_t>(n));
            Py_DECREF(s);
            if (!p) break;
        }
        Py_DECREF(it);
        if (PyErr_Occurred()) return false;
        for (const std::string& c : view.cookies_storage) view.cookies.push_back(c);
    }
    spec.set_cookies = view.cookies;
    return true;
}

}  // namespace

bool response_view(ResponseObject* r, ResponseView& view) {
    http::ResponseSpec& spec = view.spec;
    spec.status = r->code;
    spec.body = {};
    spec.charset = {};
    if (r->content) {
        Py_ssize_t n;
        const char* p;
        if (PyBytes_Check(r->content)) {
            p = PyBytes_AS_STRING(r->content);
            n = PyBytes_GET_SIZE(r->content);
        } else if (!(p = utf8_of(r->content, &n))) {
            return false;
        }
        spec.body = {p, static_cast<std::size_t>(n)};
    }
    spec.content_type_known = !r->mime_type && !r->encoding;
    if (spec.content_type_known) {
        // The defaults: constants the writer need not check again.
        spec.content_type = default_type(r->kind).content_type;
    } else if (!view_given_type(r, spec)) {
        return false;
    }
    // Inline, the test most responses stop at.
    if (!r->headers && !r->cookies) {
        spec.headers = {};
        spec.set_cookies = {};
        return true;
    }
    return view_user_headers(r, view);
}


namespace {

PyObject* Response_vectorcall(PyObject* type, PyObject* const* args, std::size_t nargsf,
                              PyObject* kwnames) {
    auto* t = reinterpret_cast<PyTypeObject*>(type);
    return response_new(state_of_type(t), t, args, PyVectorcall_NARGS(nargsf), kwnames);
}

PyObject* Response_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
    // The slow path (Response.__new__(Response, ...)): convert to vectorcall form.
    const Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    const Py_ssize_t nkw = kwargs ? PyDict_GET_SIZE(kwargs) : 0;
    std::vector<PyObject*> stack(static_cast<std::size_t>(nargs + nkw));
    for (Py_ssize_t i = 0; i < nargs; ++i) stack[static_cast<std::size_t>(i)] = PyTuple_GET_ITEM(args, i);
    PyObject* names = nullptr;
    if (nkw) {
        names = PyTuple_New(nkw);
        if (!names) return nullptr;
        Py_ssize_t pos = 0, n = 0;
        PyObject *k, *v;
        while (PyDict_Next(kwargs, &pos, &k, &v)) {
            PyTuple_SET_ITEM(names, n, Py_NewRef(k));
            stack[static_cast<std::size_t>(nargs + n++)] = v;
        }
    }
    PyObject* r =
        response_new(state_of_type(type), type, stack.data(), static_cast<std::size_t>(nargs), names);
    Py_XDECREF(names);
    return r;
}

void Response_dealloc(ResponseObject* r) {
    PyTypeObject* type = Py_TYPE(r);
    Py_XDECREF(r->content);
    Py_XDECREF(r->mime_type);
    Py_XDECREF(r->encoding);
    Py_XDECREF(r->headers);
    Py_XDECREF(r->cookies);
    SpareResponses& spares = r->state->spare_responses;
    if (refcount::spare_responses && spares.count < SpareResponses::max) {
        spares.items[spares.count++] = reinterpret_cast<PyObject*>(r);
    } else {
        type->tp_free(r);
    }
    Py_DECREF(type);
}

PyObject* Response_get_code(ResponseObject* r, void*) { return PyLong_FromLong(r->code); }

PyObject* Response_get_body(ResponseObject* r, void*) {
    if (!r->content) return PyBytes_FromStringAndSize("", 0);
    if (PyBytes_Check(r->content)) return Py_NewRef(r->content);
    return PyUnicode_AsUTF8String(r->content);
}

PyObject* Response_get_text(ResponseObject* r, void*) {
    if (!r->content) return PyUnicode_FromStringAndSize("", 0);
    if (PyUnicode_Check(r->content)) return Py_NewRef(r->content);
    const char* enc = r->encoding ? PyUnicode_AsUTF8(r->encoding) : "utf-8";
    if (!enc) return nullptr;
    return PyUnicode_FromEncodedObject(r->content, enc, "strict");
}

PyObject* Response_get_mime_type(ResponseObject* r, void*) {
    if (r->mime_type) return Py_NewRef(r->mime_type);
    const std::string_view mime = default_type(r->kind).mime;
    return PyUnicode_FromStringAndSize(mime.data(), static_cast<Py_ssize_t>(mime.size()));
}

PyObject* Response_get_headers(ResponseObject* r, void*) {
    return r->headers ? PyDict_Copy(r->headers) : PyDict_New();
}

PyObject* Response_repr(ResponseObject* r) {
    return PyUnicode_FromFormat("<Response %d>", r->code);
}

PyGetSetDef Response_getset[] = {
    {"code", reinterpret_cast<getter>(Response_get_code), nullptr, "The status code.", nullptr},
    {"body", reinterpret_cast<getter>(Response_get_body), nullptr, "The body as bytes.", nullptr},
    {"text", reinterpret_cast<getter>(Response_get_text), nullptr, "The body as str.", nullptr},
    {"mime_type", reinterpret_cast<getter>(Response_get_mime_type), nullptr,
     "The media type, without charset.", nullptr},
    {"headers", reinterpret_cast<getter>(Response_get_headers), nullptr,
     "A copy of the user headers.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot Response_slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(Response_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(Response_dealloc)},
    {Py_tp_getset, Response_getset},
    {Py_tp_repr, reinterpret_cast<void*>(Response_repr)},
    {Py_tp_doc, const_cast<char*>(
                    "Response(text=None, code=200, body=None, json=None, mime_type=None, "
                    "encoding=None, headers=None, cookies=None)\n--\n\nAn HTTP response.")},
    {0, nullptr},
};

}  // namespace

PyType_Spec response_spec = {
    "lesto._native.Response",
    sizeof(ResponseObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    Response_slots,
};

/// Installed after the type is created: vectorcall for `Response(...)`.
void response_type_ready(PyTypeObject* type) {
    type->tp_vectorcall = Response_vectorcall;
}

}  // namespace lesto::py
