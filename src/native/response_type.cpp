// response_type.cpp: lesto.Response, built by request.Response(...) or Response(...), and its wire
// view.
#include <vector>

#include "native.hpp"
#include "refcount.hpp"
#include "response/checks.hpp"

namespace lesto::py {

namespace {

// Indexes into the arguments (response_args.hpp), which are in japronto's positional order.
constexpr int kw_text = response_arg("text"), kw_code = response_arg("code"),
              kw_body = response_arg("body"), kw_json = response_arg("json"),
              kw_mime_type = response_arg("mime_type"), kw_encoding = response_arg("encoding"),
              kw_headers = response_arg("headers"), kw_cookies = response_arg("cookies"),
              kw_stream = response_arg("stream"), kw_file = response_arg("file");
constexpr int nargs_max = static_cast<int>(response_arg_count);
using Arguments = PyObject* [response_arg_count];

const char* kw_name(int k) noexcept { return response_args[k].name.data(); }

int kw_index(ModuleState* st, PyObject* name) {
    for (int i = 0; i < nargs_max; ++i) {
        if (name == st->kw[i]) return i;  // interned: the usual case
    }
    for (int i = 0; i < nargs_max; ++i) {
        if (PyUnicode_CompareWithASCIIString(name, kw_name(i)) == 0) return i;
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
                                                 PyObject* kwnames, Arguments& a, unsigned& given,
                                                 unsigned named) {
    const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; ++i) {
        PyObject* name = PyTuple_GET_ITEM(kwnames, i);
        const int k = kw_index(st, name);
        if (k < 0) {
            PyErr_Format(PyExc_TypeError,
                         "Response() got an unexpected keyword argument %R (expected one of %s)",
                         name, response_arg_names.c_str());
            return false;
        }
        if constexpr (Checked) {
            if (named & (1u << k)) {
                PyErr_Format(PyExc_TypeError,
                             "Response() got multiple values for argument '%s' (by position and "
                             "as %s=)",
                             kw_name(k), kw_name(k));
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
[[gnu::noinline]] bool take_positional(ModuleState* st, PyObject* const* args, std::size_t nargs,
                                       PyObject* kwnames, Arguments& a, unsigned& given) {
    if (nargs > response_positional_count) {
        PyErr_Format(PyExc_TypeError,
                     "Response() takes at most %zu positional arguments (%s: the others by "
                     "keyword), %zu given",
                     response_positional_count, response_arg_names.c_str(), nargs);
        return false;
    }
    unsigned named = 0;
    for (std::size_t i = 0; i < nargs; ++i) {
        const auto k = static_cast<int>(i);  // given by position in the arguments' own order
        named |= 1u << k;
        if (args[i] != Py_None) {
            a[k] = args[i];
            given |= 1u << k;
        }
    }
    return take_keywords<true>(st, args + nargs, kwnames, a, given, named);
}

PyObject* encode_text(PyObject* text, PyObject* encoding) {
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError,
                     "Response(text=...) must be str, not %.100s (use body= for bytes)",
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

/// Response(stream=...): an iterable or async iterable of bytes or str; a
/// str or bytes itself is refused (iterating it would send it a character
/// or a byte at a time).
PyObject* stream_source(PyObject* source) {
    PyTypeObject* t = Py_TYPE(source);
    const bool iterable =
        t->tp_iter || (t->tp_as_async && t->tp_as_async->am_aiter) || PySequence_Check(source);
    if (!iterable || PyUnicode_Check(source) || PyObject_CheckBuffer(source)) {
        PyErr_Format(PyExc_TypeError,
                     "Response(stream=...) must be an iterable or async iterable of bytes or str "
                     "(a generator, say), not %.100s (use text= or body= for one piece)",
                     t->tp_name);
        return nullptr;
    }
    return Py_NewRef(source);
}

/// The checks of every argument but text=, out of line: most Responses are
/// built from text= alone. Sets `code`, and `cookies` to the rendered
/// Set-Cookie values (a new reference) when cookies= is given. Arguments
/// are checked when the Response is built, so misuse raises in the handler
/// that wrote it, with a message naming the argument.
bool check_arguments(const Arguments& a, int& code, PyObject*& cookies) {
    if (a[kw_code] && !read_status(a[kw_code], code)) return false;
    int given = 0;
    for (int k : {kw_text, kw_body, kw_json, kw_stream, kw_file}) given += a[k] != nullptr;
    if (given > 1) {
        PyErr_SetString(PyExc_TypeError,
                        "Response() takes only one of text=, body=, json=, stream= and file=");
        return false;
    }
    for (int k : {kw_mime_type, kw_encoding}) {
        if (a[k] && !check_text_field(kw_name(k), a[k])) return false;
    }
    if (a[kw_headers] && !check_headers(a[kw_headers], a[kw_stream] != nullptr)) return false;
    if (a[kw_cookies] && !(cookies = render_cookies(a[kw_cookies]))) return false;
    return true;
}

}  // namespace

void response_spares_clear(ModuleState* st) noexcept {
    SpareResponses& spares = st->spare_responses;
    while (spares.count) PyObject_Free(spares.items[--spares.count]);
}

PyObject* response_new(ModuleState* st, PyTypeObject* type, PyObject* const* args,
                       std::size_t nargs, PyObject* kwnames) {
    Arguments a = {};
    unsigned given = 0;  // bit k: argument k has a value (None counts as not given)
    if (nargs) {
        if (!take_positional(st, args, nargs, kwnames, a, given)) return nullptr;
    } else if (!take_keywords<false>(st, args, kwnames, a, given, 0)) {
        return nullptr;
    }
    int code = 200;
    PyObject* cookies = nullptr;
    if ((given & ~(1u << kw_text)) && !check_arguments(a, code, cookies)) return nullptr;

    PyObject* content = nullptr;
    ContentKind kind = ContentKind::none;
    if (a[kw_text]) {
        kind = ContentKind::text;
        content = encode_text(a[kw_text], a[kw_encoding]);
    } else if (a[kw_body]) {
        kind = ContentKind::body;
        if (!PyBytes_Check(a[kw_body])) {
            if (PyObject_CheckBuffer(a[kw_body])) {
                content = PyBytes_FromObject(a[kw_body]);
            } else {
                PyErr_Format(
                    PyExc_TypeError,
                    "Response(body=...) must be bytes-like, not %.100s (use text= for str)",
                    Py_TYPE(a[kw_body])->tp_name);
            }
        } else {
            content = Py_NewRef(a[kw_body]);
        }
    } else if (a[kw_json]) {
        kind = ContentKind::json;
        content = json_dumps(st, a[kw_json]);
    } else if (a[kw_stream]) {
        kind = ContentKind::stream;
        content = stream_source(a[kw_stream]);
    } else if (a[kw_file]) {
        kind = ContentKind::file;
        content = PyOS_FSPath(a[kw_file]);
    }
    if (kind != ContentKind::none && !content) {
        Py_XDECREF(cookies);
        return nullptr;
    }

    ResponseObject* r;
    SpareResponses& spares = st->spare_responses;
    if (refcount::spare_responses && spares.count) {
        r = reinterpret_cast<ResponseObject*>(spares.items[--spares.count]);
        PyObject_Init(reinterpret_cast<PyObject*>(r), type);
    } else {
        r = PyObject_New(ResponseObject, type);
        if (!r) {
            Py_XDECREF(content);
            Py_XDECREF(cookies);
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
    r->cookies = cookies;
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

/// The bytes of a str of 1-byte kind: latin-1, one byte a character.
std::string_view latin1_bytes(PyObject* s) noexcept {
    return {static_cast<const char*>(PyUnicode_DATA(s)),
            static_cast<std::size_t>(PyUnicode_GET_LENGTH(s))};
}

DefaultType default_type(ContentKind kind) noexcept {
    switch (kind) {
    case ContentKind::text:
        return {"text/plain", "text/plain; charset=utf-8"};
    case ContentKind::json:
        return {"application/json", "application/json; charset=utf-8"};
    case ContentKind::body:
    case ContentKind::stream:
    case ContentKind::file:
        return {"application/octet-stream", "application/octet-stream"};
    case ContentKind::none:
        break;
    }
    return {};
}

/// The Content-Type part of `response_view` for a response that names its
/// mime_type or encoding: latin-1 strs (checked when built), their bytes as they are.
bool view_given_type(ResponseObject* r, http::ResponseSpec& spec) {
    spec.content_type = r->mime_type ? latin1_bytes(r->mime_type) : default_type(r->kind).mime;
    // As japronto: text and JSON name their charset, raw bytes do not.
    if (r->kind != ContentKind::text && r->kind != ContentKind::json) return true;
    spec.charset = r->encoding ? latin1_bytes(r->encoding) : std::string_view("utf-8");
    return true;
}

/// The user headers and cookies part of `response_view`, for a response that has any.
bool view_user_headers(ResponseObject* r, ResponseView& view) {
    http::ResponseSpec& spec = view.spec;
    view.headers.clear();
    if (r->headers) {
        Py_ssize_t pos = 0;
        PyObject *name, *value;
        while (PyDict_Next(r->headers, &pos, &name, &value)) {
            http::Header h;
            if (!header_view(name, value, h)) return false;
            // A stream's declared length frames it: the writer says it itself.
            if (r->kind == ContentKind::stream && http::is_content_length(h.name) &&
                http::declared_length(h.value, spec.content_length)) {
                spec.framing = http::Framing::length;
                continue;
            }
            view.headers.push_back(h);
        }
    }
    spec.headers = view.headers;
    view.cookies.clear();
    if (r->cookies) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(r->cookies); ++i) {
            PyObject* line = PyList_GET_ITEM(r->cookies, i);
            view.cookies.emplace_back(PyBytes_AS_STRING(line),
                                      static_cast<std::size_t>(PyBytes_GET_SIZE(line)));
        }
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
    spec.framing = http::Framing::whole;
    if (r->content && r->kind < ContentKind::stream) {
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
    for (Py_ssize_t i = 0; i < nargs; ++i)
        stack[static_cast<std::size_t>(i)] = PyTuple_GET_ITEM(args, i);
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
    PyObject* r = response_new(state_of_type(type), type, stack.data(),
                               static_cast<std::size_t>(nargs), names);
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

/// A stream's or a file's body is not in memory to be read back.
bool refuse_open_body(ResponseObject* r, const char* what) {
    if (r->kind < ContentKind::stream) return false;
    PyErr_Format(PyExc_TypeError, "Response.%s: the body of a Response(%s=...) is not in memory",
                 what, r->kind == ContentKind::stream ? "stream" : "file");
    return true;
}

PyObject* Response_get_body(ResponseObject* r, void*) {
    if (refuse_open_body(r, "body")) return nullptr;
    if (!r->content) return PyBytes_FromStringAndSize("", 0);
    if (PyBytes_Check(r->content)) return Py_NewRef(r->content);
    return PyUnicode_AsUTF8String(r->content);
}

PyObject* Response_get_text(ResponseObject* r, void*) {
    if (refuse_open_body(r, "text")) return nullptr;
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
    {Py_tp_doc, const_cast<char*>(response_doc.c_str())},
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
void response_type_ready(PyTypeObject* type) { type->tp_vectorcall = Response_vectorcall; }

}  // namespace lesto::py
