// settings.cpp: the engine's limits and timeouts as Python names them, from core's field tables.
#include "native.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <type_traits>

namespace lesto::py {

namespace {

/// `table` as {name: (default, doc)}, in the table's order.
template <class Table, class Struct>
PyObject* describe(const Table& table, const Struct& defaults) {
    PyObject* out = PyDict_New();
    if (!out) return nullptr;
    for (const auto& f : table) {
        PyObject* entry =
            Py_BuildValue("(Ks#)", static_cast<unsigned long long>(defaults.*f.member),
                          f.doc.data(), static_cast<Py_ssize_t>(f.doc.size()));
        PyObject* name = entry ? PyUnicode_FromStringAndSize(f.name.data(),
                                                             static_cast<Py_ssize_t>(f.name.size()))
                               : nullptr;
        const int r = name ? PyDict_SetItem(out, name, entry) : -1;
        Py_XDECREF(name);
        Py_XDECREF(entry);
        if (r < 0) {
            Py_DECREF(out);
            return nullptr;
        }
    }
    return out;
}

/// Sets `out.*member` for each {name: value} of `given`. A name the table
/// lacks, or a value that is not a positive int the member can hold, is a
/// ValueError naming it.
template <class Table, class Struct>
bool read(PyObject* given, const Table& table, Struct& out, const char* kind) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(given, &pos, &key, &value)) {
        std::string_view name;
        if (!PyUnicode_Check(key) || !utf8_view(key, name)) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "%s names must be str, got %R", kind, key);
            return false;
        }
        const auto* f = std::find_if(std::begin(table), std::end(table),
                                     [&](const auto& e) { return e.name == name; });
        if (f == std::end(table)) {
            PyErr_Format(PyExc_ValueError, "unknown %s %R", kind, key);
            return false;
        }
        using T = std::remove_reference_t<decltype(out.*f->member)>;
        const long long n =
            PyLong_Check(value) && !PyBool_Check(value) ? PyLong_AsLongLong(value) : 0;
        if (n == -1 && PyErr_Occurred()) PyErr_Clear();
        if (n <= 0 || static_cast<unsigned long long>(n) > std::numeric_limits<T>::max()) {
            PyErr_Format(PyExc_ValueError, "%s %R must be a positive int, got %R", kind, key,
                         value);
            return false;
        }
        out.*f->member = static_cast<T>(n);
    }
    return true;
}

/// `name` in `module`: what `describe` made of a table.
bool add(PyObject* module, const char* name, PyObject* described) {
    const bool ok = described && PyModule_AddObjectRef(module, name, described) == 0;
    Py_XDECREF(described);
    return ok;
}

}  // namespace

bool read_limits(PyObject* given, ConnectionLimits& out) {
    return read(given, connection_limit_fields, out, "limit");
}

bool read_timeouts(PyObject* given, net::Timeouts& out) {
    return read(given, net::timeout_fields, out, "timeout");
}

bool add_settings(PyObject* module) {
    return add(module, "LIMITS", describe(connection_limit_fields, ConnectionLimits{})) &&
           add(module, "TIMEOUTS", describe(net::timeout_fields, net::Timeouts{}));
}

}  // namespace lesto::py
