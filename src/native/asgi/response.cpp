// response.cpp: an ASGI http response's messages, translated to the engine's own calls.
//
// http.response.start is read and checked, and kept (`Head`) until the
// first body message says how the response goes out: whole, in one write,
// when that message is also the last (the Lesto API's path); else as a
// stream (a Transfer, as Response(stream=...) is), whose pieces go out with
// the stream's backpressure. http.response.pathsend hands a file to the
// engine's sendfile.
#include "call.hpp"

#include "../transfer.hpp"
#include "files/serve.hpp"
#include "http/fields.hpp"
#include "response/checks.hpp"
#include "response/status.hpp"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace lesto::py::asgi {

namespace {

// ---- http.response.start -----------------------------------------------------------

/// A bytes-like value of a header pair, as a view (kept alive by the message).
bool bytes_view(PyObject* v, const char* what, std::string_view& out) {
    if (PyBytes_Check(v)) {
        out = {PyBytes_AS_STRING(v), static_cast<std::size_t>(PyBytes_GET_SIZE(v))};
        return true;
    }
    PyErr_Format(PyExc_TypeError, "ASGI http.response.start: a header %s must be bytes, got %.100s",
                 what, Py_TYPE(v)->tp_name);
    return false;
}

}  // namespace

bool read_start(CallObject* c, const Message& message) {
    // The head of the call's last request, if it was reused: its buffers' room stays.
    if (!c->head) c->head = new Head;
    Head* head = c->head;
    head->bytes.clear();
    head->spans.clear();
    head->headers.clear();
    head->has_length = head->close = false;
    PyObject* status = message.status;
    if (!status) {
        PyErr_SetString(PyExc_ValueError, "ASGI http.response.start needs a 'status'");
        return false;
    }
    const long code = PyLong_Check(status) ? PyLong_AsLong(status) : -1;
    if (code < 100 || code > 599) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError,
                         "ASGI http.response.start: 'status' must be an int from 100 to 599, "
                         "got %.100R",
                         status);
        }
        return false;
    }
    head->status = static_cast<int>(code);
    if (PyObject* headers = message.headers) {
        PyObject* items = PySequence_Fast(headers,
                                          "ASGI http.response.start: 'headers' must be "
                                          "an iterable of [name, value] pairs");
        if (!items) return false;
        const Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
        for (Py_ssize_t i = 0; i < count; ++i) {
            PyObject* pair = PySequence_Fast_GET_ITEM(items, i);
            PyObject* two = PySequence_Fast(pair,
                                            "ASGI http.response.start: each header must "
                                            "be a [name, value] pair");
            if (!two) {
                Py_DECREF(items);
                return false;
            }
            std::string_view name, value;
            const bool ok = PySequence_Fast_GET_SIZE(two) == 2 &&
                            bytes_view(PySequence_Fast_GET_ITEM(two, 0), "name", name) &&
                            bytes_view(PySequence_Fast_GET_ITEM(two, 1), "value", value);
            if (!ok) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError,
                                    "ASGI http.response.start: each header must be a "
                                    "[name, value] pair");
                Py_DECREF(two);
                Py_DECREF(items);
                return false;
            }
            // The engine frames the body itself: the app's framing headers
            // become the engine's decisions, never a second copy on the wire.
            if (http::equals_ignoring_case(name, "content-length")) {
                if (!http::declared_length(value, head->length)) {
                    PyErr_Format(PyExc_ValueError,
                                 "ASGI http.response.start: content-length %.100R is not a "
                                 "length (digits only)",
                                 PySequence_Fast_GET_ITEM(two, 1));
                    Py_DECREF(two);
                    Py_DECREF(items);
                    return false;
                }
                head->has_length = true;
            } else if (http::equals_ignoring_case(name, "transfer-encoding")) {
                // Dropped: the engine chunks a body of unknown length itself.
            } else if (http::equals_ignoring_case(name, "connection")) {
                head->close = head->close || http::equals_ignoring_case(value, "close");
            } else {
                head->bytes.append(name);
                head->bytes.append(value);
                head->spans.emplace_back(name.size(), value.size());
            }
            Py_DECREF(two);
        }
        Py_DECREF(items);
    }
    std::size_t at = 0;
    for (auto [name, value] : head->spans) {
        head->headers.push_back({std::string_view(head->bytes).substr(at, name),
                                 std::string_view(head->bytes).substr(at + name, value)});
        at += name + value;
    }
    return true;
}

namespace {

/// The writer's spec for the head http.response.start gave.
http::ResponseSpec spec_of(CallObject* c) {
    http::ResponseSpec spec;
    spec.status = c->head->status;
    spec.headers = c->head->headers;
    spec.version_minor = c->request->head->version_minor;
    spec.head_request = c->request->head->is_head();
    spec.keep_alive = !c->head->close;
    return spec;
}

/// The writer refused the head (a 500 went out instead): say why to the app.
PyObject* refused(CallObject* c, const http::ResponseSpec& spec) {
    c->answered = true;
    const std::string why = http::refusal_reason(spec);
    PyErr_Format(PyExc_ValueError, "ASGI http.response.start: %s (the client got a 500)",
                 why.c_str());
    return nullptr;
}

// ---- http.response.body ------------------------------------------------------------

/// The whole response in one write: the Lesto API's path.
PyObject* send_whole(Engine* e, CallObject* c, Connection& conn, std::string_view body) {
    http::ResponseSpec spec = spec_of(c);
    if (c->head->has_length && !spec.head_request && c->head->length != body.size()) {
        PyErr_Format(PyExc_RuntimeError,
                     "ASGI response: content-length says %llu bytes, the body has %zu",
                     static_cast<unsigned long long>(c->head->length), body.size());
        return nullptr;
    }
    if (c->head->has_length && spec.head_request) {
        // HEAD: the length the GET would have, no body.
        spec.framing = http::Framing::length;
        spec.content_length = c->head->length;
        OpenBody none;
        none.kind = OpenBody::Kind::stream;
        if (conn.respond_open(c->seq, spec, none) == OpenStatus::refused) return refused(c, spec);
    } else {
        spec.body = body;
        if (!conn.respond(c->seq, spec)) return refused(c, spec);
    }
    c->answered = true;
    c->sent = spec.head_request ? 0 : body.size();
    e->answered(c->request, c->head->status, c->sent);
    drop_slot(c);
    response_over(c);
    wrote(e, c);
    return Py_NewRef(names_of(c).done);
}

/// Open the stream: the head goes out now, the pieces after it.
bool open_stream(Engine* e, CallObject* c, Connection& conn) {
    http::ResponseSpec spec = spec_of(c);
    if (c->head->has_length) {
        spec.framing = http::Framing::length;
        spec.content_length = c->head->length;
    } else {
        spec.framing = http::Framing::chunked;  // or until close, on HTTP/1.0: respond_open decides
    }
    TransferObject* t =
        transfer_new(c->server, c->request, c->head->status, nullptr, nullptr, c->conn_id, c->seq);
    if (!t) return false;
    OpenBody body;
    body.kind = OpenBody::Kind::stream;
    body.token = t;
    const OpenStatus status = conn.respond_open(c->seq, spec, body);
    c->answered = status != OpenStatus::gone;
    drop_slot(c);
    wrote(e, c);
    switch (status) {
    case OpenStatus::open:  // the connection keeps `t`'s reference until body_finished
        t->asgi = reinterpret_cast<PyObject*>(c);
        c->transfer = reinterpret_cast<TransferObject*>(Py_NewRef(t));
        c->stage = Stage::streaming;
        return true;
    case OpenStatus::no_body:
        e->answered(c->request, c->head->status, 0);
        c->stage = Stage::dropping;
        Py_DECREF(t);
        return true;
    case OpenStatus::refused:
        e->answered(c->request, 500, 0);
        Py_DECREF(t);
        refused(c, spec);
        return false;
    case OpenStatus::gone:
        break;
    }
    Py_DECREF(t);
    raise_gone(c, "the client closed the connection");
    return false;
}

/// `body`'s bytes, as a view the message keeps alive; `*owned` a bytes copy to release.
bool body_view(PyObject* body, std::string_view& out, PyObject** owned) {
    *owned = nullptr;
    if (PyBytes_Check(body)) {
        out = {PyBytes_AS_STRING(body), static_cast<std::size_t>(PyBytes_GET_SIZE(body))};
        return true;
    }
    if (PyByteArray_Check(body) || PyMemoryView_Check(body)) {
        if (!(*owned = PyBytes_FromObject(body))) return false;
        out = {PyBytes_AS_STRING(*owned), static_cast<std::size_t>(PyBytes_GET_SIZE(*owned))};
        return true;
    }
    PyErr_Format(PyExc_TypeError, "ASGI http.response.body: 'body' must be bytes, got %.100s",
                 Py_TYPE(body)->tp_name);
    return false;
}

}  // namespace

PyObject* send_body(Engine* e, CallObject* c, const Message& message) {
    const Names& n = names_of(c);
    if (c->stage == Stage::idle) {
        PyErr_SetString(PyExc_RuntimeError,
                        "ASGI: http.response.body sent before http.response.start");
        return nullptr;
    }
    if (c->stage == Stage::done || c->stage == Stage::file) {
        if (c->gone) return raise_gone(c, "the client closed the connection");
        PyErr_SetString(PyExc_RuntimeError,
                        "ASGI: http.response.body sent after the response was complete");
        return nullptr;
    }
    PyObject* body = message.body;
    PyObject* more_obj = message.more_body;
    int more = !more_obj || more_obj == Py_False ? 0 : more_obj == Py_True ? 1 : -2;
    if (more == -2) {
        // Its __bool__ may change the message: `body` is looked up again after.
        if ((more = PyObject_IsTrue(more_obj)) < 0) return nullptr;
        body = PyDict_GetItemWithError(message.dict, n.body);
        if (!body && PyErr_Occurred()) return nullptr;
    }
    std::string_view bytes;
    PyObject* owned = nullptr;
    if (body && !body_view(body, bytes, &owned)) return nullptr;
    PyObject* result = nullptr;
    if (c->stage == Stage::started) {
        Connection* conn = c->gone ? nullptr : e->find(c->conn_id);
        if (!conn) {
            Py_XDECREF(owned);
            return raise_gone(c, "the client closed the connection");
        }
        if (!more) {
            result = send_whole(e, c, *conn, bytes);
            Py_XDECREF(owned);
            return result;
        }
        if (!open_stream(e, c, *conn)) {
            Py_XDECREF(owned);
            return nullptr;
        }
    }
    if (c->stage == Stage::dropping) {
        if (!more) c->stage = Stage::done;
        Py_XDECREF(owned);
        return Py_NewRef(n.done);
    }
    // Streaming: the piece, then the end.
    TransferObject* t = c->transfer;
    PyObject* wrote_ok = bytes.empty() ? Py_NewRef(Py_True) : transfer_write(t, bytes);
    Py_XDECREF(owned);  // after the write: the piece was lent until then
    if (!wrote_ok) return nullptr;
    c->sent += bytes.size();
    if (!more) {
        Py_DECREF(wrote_ok);
        PyObject* ended = transfer_end(t);
        if (!ended) return nullptr;
        Py_DECREF(ended);
        return Py_NewRef(n.done);
    }
    result = wrote_ok == Py_True ? Py_NewRef(n.done) : transfer_drain(t);
    Py_DECREF(wrote_ok);
    return result;
}

// ---- http.response.pathsend ----------------------------------------------------------

PyObject* send_path(Engine* e, CallObject* c, PyObject* message) {
    if (c->stage != Stage::started) {
        PyErr_SetString(PyExc_RuntimeError,
                        c->stage == Stage::idle
                            ? "ASGI: http.response.pathsend sent before http.response.start"
                            : "ASGI: http.response.pathsend sent after the body began");
        return nullptr;
    }
    PyObject* path = PyDict_GetItemWithError(message, names_of(c).path);
    if (!path) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "ASGI http.response.pathsend needs a 'path'");
        return nullptr;
    }
    PyObject* fs = nullptr;
    if (!PyUnicode_FSConverter(path, &fs)) return nullptr;
    files::OpenedFile file = files::open_file(PyBytes_AS_STRING(fs));
    Py_DECREF(fs);
    if (!file.ok()) {
        const std::string why = std::string(files::open_refusal_reason(file.refusal)) +
                                (file.error ? std::string(": ") + std::strerror(file.error) : "");
        PyErr_Format(PyExc_OSError, "ASGI http.response.pathsend: cannot send %R: %s", path,
                     why.c_str());
        return nullptr;
    }
    Connection* conn = c->gone ? nullptr : e->find(c->conn_id);
    if (!conn) return raise_gone(c, "the client closed the connection");
    http::ResponseSpec spec = spec_of(c);
    TransferObject* t =
        transfer_new(c->server, c->request, c->head->status, nullptr, nullptr, c->conn_id, c->seq);
    if (!t) return nullptr;
    OpenBody body;
    body.kind = OpenBody::Kind::file;
    body.remaining = file.facts.size;
    body.fd = file.release();
    body.token = t;
    const OpenStatus status = conn->respond_open(c->seq, spec, body);
    c->answered = status != OpenStatus::gone;
    drop_slot(c);
    wrote(e, c);
    if (status == OpenStatus::open) {
        t->asgi = reinterpret_cast<PyObject*>(c);
        t->sent = body.remaining;
        c->transfer = reinterpret_cast<TransferObject*>(Py_NewRef(t));
        c->stage = Stage::file;  // until body_finished
        return Py_NewRef(names_of(c).done);
    }
    Py_DECREF(t);
    if (status == OpenStatus::refused) {
        e->answered(c->request, 500, 0);
        return refused(c, spec);
    }
    if (status == OpenStatus::gone) return raise_gone(c, "the client closed the connection");
    e->answered(c->request, c->head->status, 0);
    response_over(c);
    return Py_NewRef(names_of(c).done);
}

}  // namespace lesto::py::asgi
