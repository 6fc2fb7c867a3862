// json.cpp: Response(json=...) bodies.
//
// orjson encodes everything, but for the small documents handlers usually
// return its fixed cost dominates: a call, a 1 KiB output buffer from libc
// malloc shrunk by realloc, ~730 instructions for {"message": "Hello, World!"}
// (bench/RESULTS.md). Documents made only of exact dict (str keys), list,
// tuple, str, int (64-bit), finite float, bool and None are encoded here
// instead, straight into one exact-size bytes object; anything else (other
// types, subclasses, big ints, NaN, lone surrogates, deep nesting) goes to
// orjson whole, so its results and its error messages are the reference.
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "native.hpp"

namespace lesto::py {
namespace {

constexpr int max_depth = 32;

// 0: copied as is; 1: escaped by a short form; 2: escaped as \u00XX.
constexpr auto escape_class = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 2;
    for (char c : {'"', '\\', '\b', '\f', '\n', '\r', '\t'}) t[static_cast<unsigned char>(c)] = 1;
    return t;
}();

char short_escape(char c) noexcept {
    switch (c) {
        case '\b': return 'b';
        case '\f': return 'f';
        case '\n': return 'n';
        case '\r': return 'r';
        case '\t': return 't';
        default: return c;  // '"' and '\\'
    }
}

/// True when some byte of the word may need escaping: below 0x20, '"' or
/// '\\' (a borrow can flag a byte above a real one; the bytes are then looked
/// at one by one).
bool word_needs_escape(std::uint64_t x) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101;
    constexpr std::uint64_t highs = 0x8080808080808080;
    const std::uint64_t quote = x ^ (ones * '"');
    const std::uint64_t backslash = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) &
           highs;
}

/// Copies n < 8 bytes as a 4-, a 2- and a 1-byte piece: a memcpy of a
/// length the compiler cannot see is a call into libc, costlier than the
/// copy of a short key.
void load_short(char* dst, const char* src, std::size_t n) noexcept {
    std::size_t k = 0;
    if (n & 4) {
        std::memcpy(dst, src, 4);
        k = 4;
    }
    if (n & 2) {
        std::memcpy(dst + k, src + k, 2);
        k += 2;
    }
    if (n & 1) dst[k] = src[k];
}

char* put_escaped_byte(char* p, char c) noexcept {
    const std::uint8_t cls = escape_class[static_cast<unsigned char>(c)];
    if (cls == 0) {
        *p++ = c;
    } else if (cls == 1) {
        *p++ = '\\';
        *p++ = short_escape(c);
    } else {
        static constexpr char hex[] = "0123456789abcdef";
        const auto u = static_cast<unsigned char>(c);
        std::memcpy(p, "\\u00", 4);
        p[4] = hex[u >> 4];
        p[5] = hex[u & 15];
        p += 6;
    }
    return p;
}

bool put_string(PyObject* s, Buffer& out) {
    Py_ssize_t len;
    const char* src = utf8_of(s, &len);
    if (!src) {
        PyErr_Clear();  // lone surrogates: orjson says what is wrong
        return false;
    }
    const auto n = static_cast<std::size_t>(len);
    // Room for every byte escaped as \u00XX, the quotes, and a word of slack.
    char* const start = out.prepare(6 * n + 2 + 8);
    char* p = start;
    *p++ = '"';
    constexpr std::uint64_t filler = 0x6161616161616161;  // 'a': never escaped
    if (n < 8) {
        // One word: the string padded with bytes that need no escape.
        std::uint64_t w = filler;
        load_short(reinterpret_cast<char*>(&w), src, n);
        if (!word_needs_escape(w)) {
            std::memcpy(p, &w, 8);  // the padding lands in the slack and is overwritten
            p += n;
        } else {
            for (std::size_t i = 0; i < n; ++i) p = put_escaped_byte(p, src[i]);
        }
    } else {
        std::size_t i = 0;
        bool clean = true;  // so far, output offset == input offset
        for (; i + 8 <= n; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, src + i, 8);
            if (!word_needs_escape(w)) {
                std::memcpy(p, &w, 8);
                p += 8;
                continue;
            }
            clean = false;
            for (std::size_t j = i; j < i + 8; ++j) p = put_escaped_byte(p, src[j]);
        }
        if (i < n) {
            std::uint64_t w;
            std::memcpy(&w, src + n - 8, 8);  // the last word, overlapping the one before
            if (clean && !word_needs_escape(w)) {
                std::memcpy(p - (i + 8 - n), &w, 8);
                p += n - i;
            } else {
                for (; i < n; ++i) p = put_escaped_byte(p, src[i]);
            }
        }
    }
    *p++ = '"';
    out.commit(static_cast<std::size_t>(p - start));
    return true;
}

bool put_int(PyObject* v, Buffer& out) {
    int overflow = 0;
    const long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow || (x == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return false;
    }
    char* p = out.prepare(24);
    out.commit(static_cast<std::size_t>(std::to_chars(p, p + 24, x).ptr - p));
    return true;
}

/// The shortest digits that read back as `x`, laid out as orjson lays them
/// out: positional for decimal exponents -5..15 ("0.00001", "1e-6",
/// "1000000000000000.0", "1e+16"), and always with a '.' or an exponent so
/// the value reads back as a float.
bool put_float(PyObject* v, Buffer& out) {
    const double x = PyFloat_AS_DOUBLE(v);
    if (!(x - x == 0)) return false;  // NaN or infinite: orjson's choice (null)
    char sci[40];
    const char* end = std::to_chars(sci, sci + sizeof sci, x, std::chars_format::scientific).ptr;
    const char* q = sci;  // "-d.ddde-05"
    char* const start = out.prepare(48);
    char* p = start;
    if (*q == '-') *p++ = *q++;
    char digits[24];
    int n = 0;
    for (; *q != 'e'; ++q) {
        if (*q != '.') digits[n++] = *q;
    }
    int exp = 0;
    std::from_chars(q + 1 + (q[1] == '+'), end, exp);
    auto copy = [&](int from, int to) {
        for (int i = from; i < to; ++i) *p++ = digits[i];
    };
    if (exp >= 16 || exp < -5) {
        *p++ = digits[0];
        if (n > 1) {
            *p++ = '.';
            copy(1, n);
        }
        *p++ = 'e';
        *p++ = exp < 0 ? '-' : '+';
        p = std::to_chars(p, p + 8, exp < 0 ? -exp : exp).ptr;
    } else if (exp < 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = -1; i > exp; --i) *p++ = '0';
        copy(0, n);
    } else if (n > exp + 1) {
        copy(0, exp + 1);
        *p++ = '.';
        copy(exp + 1, n);
    } else {
        copy(0, n);
        for (int i = n; i <= exp; ++i) *p++ = '0';
        *p++ = '.';
        *p++ = '0';
    }
    out.commit(static_cast<std::size_t>(p - start));
    return true;
}

bool put_value(PyObject* v, Buffer& out, int depth);

bool put_items(PyObject* const* items, Py_ssize_t n, Buffer& out, int depth) {
    out.push_back('[');
    for (Py_ssize_t i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        if (!put_value(items[i], out, depth)) return false;
    }
    out.push_back(']');
    return true;
}

bool put_dict(PyObject* d, Buffer& out, int depth) {
    out.push_back('{');
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    bool first = true;
    while (PyDict_Next(d, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) return false;
        if (!first) out.push_back(',');
        first = false;
        if (!put_string(key, out)) return false;
        out.push_back(':');
        if (!put_value(value, out, depth)) return false;
    }
    out.push_back('}');
    return true;
}

bool put_value(PyObject* v, Buffer& out, int depth) {
    if (PyUnicode_CheckExact(v)) return put_string(v, out);
    if (v == Py_None) {
        out.append("null");
        return true;
    }
    if (v == Py_True || v == Py_False) {
        out.append(v == Py_True ? "true" : "false");
        return true;
    }
    if (PyLong_CheckExact(v)) return put_int(v, out);
    if (PyFloat_CheckExact(v)) return put_float(v, out);
    if (depth >= max_depth) return false;
    // A container's items are borrowed while they are written; nothing here
    // runs Python code, so they cannot change meanwhile.
    if (PyDict_CheckExact(v)) return put_dict(v, out, depth + 1);
    if (PyList_CheckExact(v)) {
        return put_items(PySequence_Fast_ITEMS(v), PyList_GET_SIZE(v), out, depth + 1);
    }
    if (PyTuple_CheckExact(v)) {
        return put_items(PySequence_Fast_ITEMS(v), PyTuple_GET_SIZE(v), out, depth + 1);
    }
    return false;
}

}  // namespace

PyObject* json_dumps(ModuleState* st, PyObject* obj) {
    Buffer& out = *st->json_scratch;
    out.clear();
    if (put_value(obj, out, 0)) {
        PyObject* bytes = PyBytes_FromStringAndSize(out.data(), static_cast<Py_ssize_t>(out.size()));
        out.clear();
        out.shrink_if_empty(64 * 1024);  // a big document's memory is not kept
        return bytes;
    }
    if (!st->json_dumps) {
        PyObject* orjson = PyImport_ImportModule("orjson");
        if (!orjson) return nullptr;
        st->json_dumps = PyObject_GetAttrString(orjson, "dumps");
        Py_DECREF(orjson);
        if (!st->json_dumps) return nullptr;
    }
    return PyObject_CallOneArg(st->json_dumps, obj);
}

}  // namespace lesto::py
