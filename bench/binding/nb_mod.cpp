// nb_mod.cpp: the same three call shapes as capi_mod.cpp, written the way a
// nanobind binding would write them: def_prop_ro properties returning the
// cached Python strings, and Response(...) with named keyword-only arguments
// (nb::arg("text") = nb::none(), ...) or with nb::kwargs, returning an
// instance of a bound Response class. Same checks as capi_mod.cpp.
#include <nanobind/nanobind.h>

#include <cstddef>
#include <utility>

namespace nb = nanobind;
using namespace nb::literals;

namespace {

struct Response {
    int code = 200;
    nb::object text;       // str or None
    nb::object mime_type;  // str or None
};

struct Request {
    nb::str method;  // cached str, as the engine's getters cache them
    nb::str path;
};

int check_code(nb::handle code) {
    if (code.is_none()) return 200;
    if (!PyLong_Check(code.ptr())) {
        throw nb::type_error("Response(code=...) must be an int");
    }
    const long c = PyLong_AsLong(code.ptr());
    if (c == -1 && PyErr_Occurred()) throw nb::python_error();
    if (c < 100 || c > 599)
        throw nb::value_error("Response(code=...): status code must be within 100-599");
    return static_cast<int>(c);
}

nb::object check_str(nb::object v, const char* what) {
    if (!v.is_none() && !nb::isinstance<nb::str>(v)) {
        throw nb::type_error(what);
    }
    return v;
}

// Named arguments: nanobind matches the call's keywords against the
// signature, fills in defaults and converts each argument.
Response make_named(const Request&, nb::object text, int code, nb::object mime_type) {
    if (code < 100 || code > 599)
        throw nb::value_error("Response(code=...): status code must be within 100-599");
    Response r;
    r.code = code;
    r.text = check_str(std::move(text), "Response(text=...) must be str");
    r.mime_type = check_str(std::move(mime_type), "Response(mime_type=...) must be str");
    return r;
}

// **kwargs: nanobind collects the keywords into a dict, then the body looks
// names up itself (by identity first, as capi_mod does).
// Interned at import and kept for the life of the process (plain pointers,
// so no destructor runs after the interpreter has finalized).
PyObject *kw_text, *kw_code, *kw_mime_type;

bool is_name(nb::handle k, PyObject* name) {
    return k.ptr() == name || PyUnicode_Compare(k.ptr(), name) == 0;
}

Response make_kwargs(const Request&, nb::kwargs kw) {
    nb::object text = nb::none(), code = nb::none(), mime_type = nb::none();
    for (auto [k, v] : kw) {
        if (is_name(k, kw_text)) text = nb::borrow(v);
        else if (is_name(k, kw_code)) code = nb::borrow(v);
        else if (is_name(k, kw_mime_type)) mime_type = nb::borrow(v);
        else throw nb::type_error("Response() got an unexpected keyword argument");
    }
    Response r;
    r.code = check_code(code);
    r.text = check_str(std::move(text), "Response(text=...) must be str");
    r.mime_type = check_str(std::move(mime_type), "Response(mime_type=...) must be str");
    return r;
}

PyObject* interned(const char* s) {
    PyObject* o = PyUnicode_InternFromString(s);
    if (!o) throw nb::python_error();
    return o;
}

}  // namespace

NB_MODULE(nb_mod, m) {
    m.doc() = "Binding benchmark: the hot call shapes on nanobind.";
    kw_text = interned("text");
    kw_code = interned("code");
    kw_mime_type = interned("mime_type");

    nb::class_<Response>(m, "Response")
        .def_prop_ro("code", [](const Response& r) { return r.code; })
        .def_prop_ro("text", [](const Response& r) { return r.text; })
        .def_prop_ro("mime_type", [](const Response& r) { return r.mime_type; });

    nb::class_<Request>(m, "Request")
        .def(nb::init<nb::str, nb::str>(), "method"_a, "path"_a)
        .def_prop_ro("method", [](const Request& r) { return r.method; })
        .def_prop_ro("path", [](const Request& r) { return r.path; })
        .def("Response", &make_named, nb::kw_only(), "text"_a = nb::none(), "code"_a = 200,
             "mime_type"_a = nb::none())
        .def("Response_kwargs", &make_kwargs);

    // drive(handler, request, n): the engine's side of a handler call, with
    // the request already held as a Python object (as the engine's pool does).
    m.def("drive", [](nb::handle handler, nb::handle request, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            nb::object res = handler(request);
        }
    });
    // drive_cpp(handler, request, n): the same, but the engine holds a C++
    // Request* and lets nanobind find its Python instance on every call.
    m.def("drive_cpp", [](nb::handle handler, Request& request, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            nb::object res = handler(&request);
        }
    });
}
