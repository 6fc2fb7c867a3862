// response_fields.cpp: Response's code, headers, cookies, mime_type and encoding: converted here,
// judged by core's rules.
//
// The binding turns each str into the bytes the writer will send and asks
// core whether they may be sent (http/fields.hpp, response/checks.hpp): the
// rules live there, once, and the writer applies them again to every
// response. Here a refusal becomes a ValueError in the handler that built
// the Response, naming the argument, the header or cookie, and the
// position of the character at fault.
#include "native.hpp"

#include <climits>

#include "http/fields.hpp"
#include "response/checks.hpp"
#include "response/status.hpp"

namespace lesto::py {

namespace {

/// Index of the first character of `s` above U+00FF (`s` is not 1-byte kind).
Py_ssize_t first_beyond_latin1(PyObject* s) {
    const int kind = PyUnicode_KIND(s);
    const void* data = PyUnicode_DATA(s);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    for (Py_ssize_t i = 0; i < n; ++i) {
        if (PyUnicode_READ(kind, data, i) > 0xff) return i;
    }
    return n;  // unreachable: a wider kind holds such a character
}

// Messages name what is refused with a prefix made only on refusal (a
// Describe returns it as a new str, or null): a check that passes costs no
// formatting.

/// `s` refused at character `i`: "<what> has '\x01' at position 1; <rule>".
template <class Describe>
void refuse_at(Describe describe, PyObject* s, Py_ssize_t i, std::string_view rule) {
    PyObject* what = describe();
    PyObject* c = what ? PyUnicode_Substring(s, i, i + 1) : nullptr;
    if (c) {
        const std::string text(rule);
        PyErr_Format(PyExc_ValueError, "%U has %R at position %zd; %s", what, c, i, text.c_str());
    }
    Py_XDECREF(c);
    Py_XDECREF(what);
}

/// `s` (a header name or value, a mime_type or encoding) as the bytes the
/// writer sends: latin-1, one byte a character, as request.headers reads
/// them. A str of 1-byte kind already is those bytes.
template <class Describe> bool latin1_of(PyObject* s, std::string_view& out, Describe describe) {
    if (PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND) {
        refuse_at(describe, s, first_beyond_latin1(s),
                  "header fields are sent as latin-1, one byte a character (as request.headers "
                  "reads them): encode other text first, e.g. with urllib.parse.quote");
        return false;
    }
    out = {static_cast<const char*>(PyUnicode_DATA(s)),
           static_cast<std::size_t>(PyUnicode_GET_LENGTH(s))};
    return true;
}

/// A field value, judged by core.
template <class Describe>
bool check_value(PyObject* value, std::string_view bytes, Describe describe) {
    if (http::is_field_value(bytes)) return true;
    refuse_at(describe, value, static_cast<Py_ssize_t>(http::find_non_field_char(bytes)),
              http::field_value_rule);
    return false;
}

/// A header name: a token, and not one the writer sets from the body
/// (a stream may declare its Content-Length: `length_allowed`).
bool check_name(PyObject* name, std::string_view bytes, bool length_allowed) {
    if (bytes.empty()) {
        PyErr_Format(PyExc_ValueError, "Response(headers=...): a header name is empty; %s",
                     http::token_rule().c_str());
        return false;
    }
    if (!http::is_token(bytes)) {
        refuse_at(
            [name] { return PyUnicode_FromFormat("Response(headers=...): header name %R", name); },
            name, static_cast<Py_ssize_t>(http::find_non_tchar(bytes)), http::token_rule());
        return false;
    }
    if (http::is_framing_field(bytes) && !(length_allowed && http::is_content_length(bytes))) {
        PyErr_Format(PyExc_ValueError,
                     "Response header %R is set by the server from the body; remove it (a "
                     "Response(stream=...) may declare its Content-Length)",
                     name);
        return false;
    }
    return true;
}

bool check_header(PyObject* name, PyObject* value, bool stream) {
    if (!PyUnicode_Check(name) || !PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError,
                     "Response header names and values must be str, got %.100s: %.100s",
                     Py_TYPE(name)->tp_name, Py_TYPE(value)->tp_name);
        return false;
    }
    std::string_view n, v;
    const auto name_is = [name] {
        return PyUnicode_FromFormat("Response(headers=...): header name %R", name);
    };
    const auto value_is = [name, value] {
        return PyUnicode_FromFormat("Response(headers=...): header %R value %R", name, value);
    };
    if (!(latin1_of(name, n, name_is) && check_name(name, n, stream) &&
          latin1_of(value, v, value_is) && check_value(value, v, value_is))) {
        return false;
    }
    std::uint64_t length;
    if (stream && http::is_content_length(n) && !http::declared_length(v, length)) {
        PyErr_Format(
            PyExc_ValueError,
            "Response(headers=...): Content-Length %R is not a number of bytes (digits only)",
            value);
        return false;
    }
    return true;
}

}  // namespace

bool read_status(PyObject* code, int& out) {
    if (!PyLong_Check(code)) {
        PyErr_Format(PyExc_TypeError, "Response(code=...) must be an int, not %.100s",
                     Py_TYPE(code)->tp_name);
        return false;
    }
    const long c = PyLong_AsLong(code);
    if (c == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return false;
        PyErr_Clear();
    } else if (c >= INT_MIN && c <= INT_MAX && http::is_valid_status(static_cast<int>(c))) {
        out = static_cast<int>(c);
        return true;
    }
    PyErr_Format(PyExc_ValueError, "Response(code=%R): status code must be within %d-%d", code,
                 http::first_status, http::last_status);
    return false;
}

bool check_text_field(const char* argument, PyObject* value) {
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "Response(%s=...) must be str, not %.100s", argument,
                     Py_TYPE(value)->tp_name);
        return false;
    }
    const auto value_is = [argument, value] {
        return PyUnicode_FromFormat("Response(%s=...): %R", argument, value);
    };
    std::string_view bytes;
    return latin1_of(value, bytes, value_is) && check_value(value, bytes, value_is);
}

bool check_headers(PyObject* headers, bool stream) {
    if (!PyDict_Check(headers)) {
        PyErr_Format(PyExc_TypeError,
                     "Response(headers=...) must be a dict of str to str, not %.100s",
                     Py_TYPE(headers)->tp_name);
        return false;
    }
    Py_ssize_t pos = 0;
    PyObject *name, *value;
    while (PyDict_Next(headers, &pos, &name, &value)) {
        if (!check_header(name, value, stream)) return false;
    }
    return true;
}

bool header_view(PyObject* name, PyObject* value, http::Header& out) {
    // Checked when the Response was built; the dict may have changed since.
    // What the writer would refuse it refuses (and it is logged); what it
    // cannot even be given is refused here, with the handler's error path.
    if (!PyUnicode_Check(name) || !PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError,
                     "Response header names and values must be str, got %.100s: %.100s (the "
                     "headers dict changed after the Response was built)",
                     Py_TYPE(name)->tp_name, Py_TYPE(value)->tp_name);
        return false;
    }
    const auto header_is = [name] {
        return PyUnicode_FromFormat("Response header %R (changed after the Response was built)",
                                    name);
    };
    return latin1_of(name, out.name, header_is) && latin1_of(value, out.value, header_is);
}

PyObject* render_cookies(PyObject* cookies) {
    if (!PyDict_Check(cookies)) {
        PyErr_Format(PyExc_TypeError,
                     "Response(cookies=...) must be an http.cookies.SimpleCookie, not %.100s",
                     Py_TYPE(cookies)->tp_name);
        return nullptr;
    }
    PyObject* lines = PyList_New(0);
    if (!lines) return nullptr;
    Py_ssize_t pos = 0;
    PyObject *key, *morsel;
    while (PyDict_Next(cookies, &pos, &key, &morsel)) {
        // One Set-Cookie per morsel, rendered by the stdlib, sent as UTF-8:
        // browsers send cookies back in UTF-8, and request.cookies reads them so.
        PyObject* line = PyObject_CallMethod(morsel, "OutputString", nullptr);
        if (line && !PyUnicode_Check(line)) {
            PyErr_Format(PyExc_TypeError,
                         "Response(cookies=...): cookie %R renders as %.100s, not str", key,
                         Py_TYPE(line)->tp_name);
            Py_CLEAR(line);
        }
        PyObject* bytes = line ? PyUnicode_AsUTF8String(line) : nullptr;
        if (!bytes) {
            Py_XDECREF(line);
            Py_DECREF(lines);
            return nullptr;
        }
        const std::string_view b(PyBytes_AS_STRING(bytes),
                                 static_cast<std::size_t>(PyBytes_GET_SIZE(bytes)));
        const std::size_t at = http::find_non_field_char(b);
        if (at != std::string_view::npos) {
            // The byte at fault is ASCII, so its character's index is the
            // count of UTF-8 lead bytes before it.
            Py_ssize_t index = 0;
            for (std::size_t k = 0; k < at; ++k)
                index += (static_cast<unsigned char>(b[k]) & 0xc0) != 0x80;
            refuse_at(
                [key, line] {
                    return PyUnicode_FromFormat(
                        "Response(cookies=...): cookie %R renders as %R, which", key, line);
                },
                line, index, http::field_value_rule);
            Py_DECREF(bytes);
            Py_DECREF(line);
            Py_DECREF(lines);
            return nullptr;
        }
        Py_DECREF(line);
        const int appended = PyList_Append(lines, bytes);
        Py_DECREF(bytes);
        if (appended < 0) {
            Py_DECREF(lines);
            return nullptr;
        }
    }
    return lines;
}

}  // namespace lesto::py
