// json.cpp: Response(json=...)'s walk: a document into JSON bytes, with gaps
// for what it leaves to others (json_dumps.cpp fills them).
//
// orjson encodes everything, but for the small documents handlers usually
// return its fixed cost dominates: a call, a 1 KiB output buffer from libc
// malloc shrunk by realloc, ~730 instructions for {"message": "Hello, World!"}
// (bench/RESULTS.md). So the engine walks the document itself, straight into
// one buffer: dicts and lists (subclasses too, read as orjson reads them:
// their stored items), tuples, str, int (64-bit), finite float, bool and None.
// The walk runs no Python code, so the items it borrows stay put. What it
// does not know (other types, subclasses of str, int and float, big ints,
// NaN, lone surrogates) it leaves a gap for, holding a reference. Dict keys
// follow json.dumps (what japronto used): str, and int, float, bool and None
// written as json.dumps writes them; others raise TypeError.
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "json.hpp"

namespace lesto::py {

namespace {

// orjson's limit: 254 nested containers encode, the 255th raises. (orjson
// itself leaves tuples out of its count; here every container counts.)
constexpr int max_depth = 254;

// 0: copied as is; 1: escaped by a short form; 2: escaped as \u00XX.
constexpr auto escape_class = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 2;
    for (char c : {'"', '\\', '\b', '\f', '\n', '\r', '\t'}) t[static_cast<unsigned char>(c)] = 1;
    return t;
}();

char short_escape(char c) noexcept {
    switch (c) {
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    default:
        return c;  // '"' and '\\'
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
    return (((x - ones * 0x20) & ~x) | ((quote - ones) & ~quote) |
            ((backslash - ones) & ~backslash)) &
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
        // NOLINTNEXTLINE(bugprone-not-null-terminated-result): JSON bytes, not a C string
        std::memcpy(p, "\\u00", 4);
        p[4] = hex[u >> 4];
        p[5] = hex[u & 15];
        p += 6;
    }
    return p;
}

/// Leaves a gap for `v`, filled when the walk is done (see fill_gaps).
bool defer(JsonScratch& w, PyObject* v, int depth) {
    try {
        w.deferred.push_back({w.out.size(), Py_NewRef(v), depth});
    } catch (const std::bad_alloc&) {
        Py_DECREF(v);
        PyErr_NoMemory();
        return false;
    }
    return true;
}

/// UTF-8 text as a JSON string.
bool put_utf8(const char* src, Py_ssize_t len, Buffer& out) {
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

[[gnu::noinline]] bool defer_bad_string(JsonScratch& w, PyObject* s, int depth) {
    PyErr_Clear();
    return defer(w, s, depth);
}

/// A str (a subclass too); one with lone surrogates is left to orjson, which
/// says what is wrong. Defers itself, so that callers can end in a tail call.
bool put_string(JsonScratch& w, PyObject* s, int depth) {
    Py_ssize_t len;
    const char* src = utf8_of(s, &len);
    if (!src) return defer_bad_string(w, s, depth);
    return put_utf8(src, len, w.out);
}

/// An int in 64 bits; a bigger one is left to orjson (its range is wider).
bool put_int(JsonScratch& w, PyObject* v, int depth) {
    Buffer& out = w.out;
    int overflow = 0;
    const long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow || (x == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return defer(w, v, depth);
    }
    char* p = out.prepare(24);
    out.commit(static_cast<std::size_t>(std::to_chars(p, p + 24, x).ptr - p));
    return true;
}

/// The shortest digits that read back as `x`, laid out as orjson lays them
/// out: positional for decimal exponents -5..15 ("0.00001", "1e-6",
/// "1000000000000000.0", "1e+16"), and always with a '.' or an exponent so
/// the value reads back as a float.
bool put_float(JsonScratch& w, PyObject* v, int depth) {
    Buffer& out = w.out;
    const double x = PyFloat_AS_DOUBLE(v);
    if (!(x - x == 0)) return defer(w, v, depth);  // NaN or infinite: orjson's choice (null)
    char sci[40];
    const char* end = std::to_chars(sci, sci + sizeof sci, x, std::chars_format::scientific).ptr;
    const char* q = sci;  // "-d.ddde-05"
    char* const start = out.prepare(48);
    char* p = start;
    if (*q == '-') *p++ = *q++;
    // The digits of "d[.ddd]": the first is always there.
    char digits[24];
    digits[0] = *q++;
    int n = 1;
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

bool too_deep() {
    PyErr_SetString(PyExc_TypeError, "Recursion limit reached");  // orjson's words
    return false;
}

/// A float key as json.dumps writes it: repr, or its names for the
/// non-finite ones (json.dumps' allow_nan default).
bool put_float_key(double x, Buffer& out) {
    if (x != x) {
        out.append("\"NaN\"");
    } else if (x - x != 0) {
        out.append(x > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
        char* repr = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, nullptr);
        if (!repr) return false;
        out.push_back('"');
        out.append(repr);
        out.push_back('"');
        PyMem_Free(repr);
    }
    return true;
}

/// An int key as json.dumps writes it: int.__repr__, so an IntEnum's value.
bool put_int_key(PyObject* key, Buffer& out) {
    int overflow = 0;
    const long long x = PyLong_AsLongLongAndOverflow(key, &overflow);
    if (!overflow) {
        char* p = out.prepare(26);
        *p = '"';
        char* end = std::to_chars(p + 1, p + 25, x).ptr;
        *end++ = '"';
        out.commit(static_cast<std::size_t>(end - p));
        return true;
    }
    PyObject* digits = PyLong_Type.tp_repr(key);
    if (!digits) return false;  // past sys.get_int_max_str_digits(), as for json.dumps
    Py_ssize_t n;
    const char* p = PyUnicode_AsUTF8AndSize(digits, &n);
    if (p) {
        out.push_back('"');
        out.append(p, static_cast<std::size_t>(n));
        out.push_back('"');
    }
    Py_DECREF(digits);
    return p != nullptr;
}

/// A dict key that is not an exact str, in json.dumps' order of tests
/// (bool before int: True is an int).
bool put_key(JsonScratch& w, PyObject* key, int depth) {
    if (PyUnicode_Check(key)) return put_string(w, key, depth);
    if (PyFloat_Check(key)) return put_float_key(PyFloat_AS_DOUBLE(key), w.out);
    if (key == Py_True || key == Py_False || key == Py_None) {
        w.out.append(key == Py_True ? "\"true\"" : key == Py_False ? "\"false\"" : "\"null\"");
        return true;
    }
    if (PyLong_Check(key)) return put_int_key(key, w.out);
    PyErr_Format(PyExc_TypeError,
                 "Response(json=...): dict keys must be str, int, float, bool or None (as for "
                 "json.dumps), not %.100s: %.200R",
                 Py_TYPE(key)->tp_name, key);
    return false;
}

bool put_value(JsonScratch& w, PyObject* v, int depth);

bool put_items(JsonScratch& w, PyObject* const* items, Py_ssize_t n, int depth) {
    w.out.push_back('[');
    for (Py_ssize_t i = 0; i < n; ++i) {
        if (i) w.out.push_back(',');
        if (!put_value(w, items[i], depth)) return false;
    }
    w.out.push_back(']');
    return true;
}

// Inlined into put_value: a call costs a small document ~5% of its encoding.
[[gnu::always_inline]] inline bool put_dict(JsonScratch& w, PyObject* d, int depth) {
    Buffer& out = w.out;
    out.push_back('{');
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    bool first = true;
    while (PyDict_Next(d, &pos, &key, &value)) {
        if (!first) out.push_back(',');
        first = false;
        if (PyUnicode_CheckExact(key)) {
            if (!put_string(w, key, depth)) return false;
        } else if (!put_key(w, key, depth)) {
            return false;
        }
        out.push_back(':');
        if (!put_value(w, value, depth)) return false;
    }
    out.push_back('}');
    return true;
}

[[gnu::noinline]] bool put_dict_subclass(JsonScratch& w, PyObject* d, int depth) {
    return put_dict(w, d, depth);
}

/// What put_value's exact types do not cover, and every container past the
/// depth limit.
[[gnu::noinline]] bool put_other(JsonScratch& w, PyObject* v, int depth) {
    const bool dict = PyDict_Check(v);
    const bool list = !dict && PyList_Check(v);
    if (dict || list || PyTuple_CheckExact(v)) {
        if (depth >= max_depth) return too_deep();
        if (dict) return put_dict_subclass(w, v, depth + 1);
        return put_items(w, PySequence_Fast_ITEMS(v), Py_SIZE(v), depth + 1);
    }
    return defer(w, v, depth);
}

bool put_value(JsonScratch& w, PyObject* v, int depth) {
    Buffer& out = w.out;
    if (PyUnicode_CheckExact(v)) return put_string(w, v, depth);
    if (v == Py_None) {
        out.append("null");
        return true;
    }
    if (v == Py_True || v == Py_False) {
        out.append(v == Py_True ? "true" : "false");
        return true;
    }
    if (PyLong_CheckExact(v)) return put_int(w, v, depth);
    if (PyFloat_CheckExact(v)) return put_float(w, v, depth);
    if (depth < max_depth) {
        if (PyDict_CheckExact(v)) return put_dict(w, v, depth + 1);
        if (PyList_CheckExact(v)) {
            return put_items(w, PySequence_Fast_ITEMS(v), PyList_GET_SIZE(v), depth + 1);
        }
        if (PyTuple_CheckExact(v)) {
            return put_items(w, PySequence_Fast_ITEMS(v), PyTuple_GET_SIZE(v), depth + 1);
        }
    }
    return put_other(w, v, depth);
}

}  // namespace

bool json_walk(JsonScratch& w, PyObject* v, int depth) { return put_value(w, v, depth); }

}  // namespace lesto::py
