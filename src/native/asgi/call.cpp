// call.cpp: one ASGI request: its `receive` and `send`, and where its response stands.
//
// The messages are translated to the engine's own calls: a response whose
// first body message is its last goes out as one write (the Lesto API's
// path); one with more to come opens a stream (a Transfer, as
// Response(stream=...) does), and its pieces go out with the stream's
// backpressure. `receive` gives the body as the connection reads it (a
// BodyReader, paced by the app). An awaitable that is already done (`Ready`)
// answers whatever needs no waiting, so an app that never waits runs to its
// end in the engine's first step, without a Task.
#include "call.hpp"

#include "../transfer.hpp"
#include "../websocket.hpp"
#include "files/serve.hpp"
#include "http/fields.hpp"
#include "response/checks.hpp"
#include "response/status.hpp"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace lesto::py::asgi {

// ---- the call ------------------------------------------------------------------

Engine* engine_of(CallObject* c) { return c->server ? c->server->engine : nullptr; }

const Names& names_of(CallObject* c) { return c->server->state->asgi; }

/// The connection's reference (the request's token) is given up: the
/// request is answered, or the connection gave it to `abandon`.
void drop_slot(CallObject* c) {
    if (!c->slot_held) return;
    c->slot_held = false;
    Py_DECREF(c);
}

/// The response went out whole (or was cut): receive() may say disconnect now.
void response_over(CallObject* c) {
    c->stage = Stage::done;
    if (c->waiter) settle(c->waiter, disconnect_message(names_of(c)));
}

/// The engine outside its poll: whatever this call wrote needs a flush.
void wrote(Engine* e, CallObject* c) {
    if (!e->dispatching_) e->answered_later(c->conn_id);
}

PyObject* raise_gone(CallObject* c, const char* why) {
    PyErr_SetString(c->server->state->client_disconnected, why);
    return nullptr;
}

bool is(PyObject* type, PyObject* name) {
    return type == name || (PyUnicode_Check(type) && PyUnicode_Compare(type, name) == 0);
}

namespace {

int Call_traverse(CallObject* c, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(c));
    Py_VISIT(c->server);
    Py_VISIT(c->request);
    Py_VISIT(reinterpret_cast<PyObject*>(c->transfer));
    Py_VISIT(c->waiter);
    Py_VISIT(c->task);
    Py_VISIT(reinterpret_cast<PyObject*>(c->ws));
    return 0;
}

int Call_clear(CallObject* c) {
    if (c->request && c->request->asgi == reinterpret_cast<PyObject*>(c))
        c->request->asgi = nullptr;
    if (c->transfer) c->transfer->asgi = nullptr;
    Py_CLEAR(c->transfer);
    Py_CLEAR(c->waiter);
    Py_CLEAR(c->task);
    Py_CLEAR(c->ws);
    Py_CLEAR(c->request);
    Py_CLEAR(c->server);
    return 0;
}

void Call_dealloc(CallObject* c) {
    PyTypeObject* type = Py_TYPE(c);
    PyObject_GC_UnTrack(c);
    Call_clear(c);
    delete c->head;
    PyObject_GC_Del(c);
    Py_DECREF(type);
}

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

bool read_start(CallObject* c, PyObject* message) {
    const Names& n = names_of(c);
    auto head = std::make_unique<Head>();
    PyObject* status = PyDict_GetItemWithError(message, n.status);
    if (!status) {
        if (!PyErr_Occurred())
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
    PyObject* headers = PyDict_GetItemWithError(message, n.headers);
    if (!headers && PyErr_Occurred()) return false;
    if (headers) {
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
    delete c->head;
    c->head = head.release();
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

PyObject* send_body(Engine* e, CallObject* c, PyObject* message) {
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
    PyObject* body = PyDict_GetItemWithError(message, n.body);
    if (!body && PyErr_Occurred()) return nullptr;
    PyObject* more_obj = PyDict_GetItemWithError(message, n.more_body);
    if (!more_obj && PyErr_Occurred()) return nullptr;
    const int more = more_obj ? PyObject_IsTrue(more_obj) : 0;
    if (more < 0) return nullptr;
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

namespace {

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

// ---- receive and send ------------------------------------------------------------------

PyObject* Call_send(CallObject* c, PyObject* message) {
    Engine* e = engine_of(c);
    if (!e) {
        PyErr_SetString(PyExc_RuntimeError, "the server of this request has stopped");
        return nullptr;
    }
    if (!PyDict_Check(message)) {
        PyErr_Format(PyExc_TypeError, "ASGI send() takes a message dict, got %.100s",
                     Py_TYPE(message)->tp_name);
        return nullptr;
    }
    const Names& n = names_of(c);
    PyObject* type = PyDict_GetItemWithError(message, n.type);
    if (!type) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "ASGI send(): the message has no 'type'");
        return nullptr;
    }
    if (c->ws) return websocket_send(e, c, message, type);
    if (is(type, n.response_body)) return send_body(e, c, message);
    if (is(type, n.response_start)) {
        if (c->gone) return raise_gone(c, "the client closed the connection");
        if (c->stage != Stage::idle) {
            PyErr_SetString(PyExc_RuntimeError, "ASGI: http.response.start sent twice");
            return nullptr;
        }
        if (!read_start(c, message)) return nullptr;
        c->stage = Stage::started;
        return Py_NewRef(n.done);
    }
    if (is(type, n.response_pathsend)) return send_path(e, c, message);
    PyErr_Format(PyExc_ValueError,
                 "ASGI send(): unexpected message type %.100R for an http connection "
                 "(http.response.start, http.response.body, http.response.pathsend)",
                 type);
    return nullptr;
}

PyObject* Call_receive(CallObject* c, PyObject*) {
    Engine* e = engine_of(c);
    if (!e) {
        PyErr_SetString(PyExc_RuntimeError, "the server of this request has stopped");
        return nullptr;
    }
    const Names& n = names_of(c);
    if (c->ws) return websocket_receive(c);
    if (c->gone) {
        PyObject* m = disconnect_message(n);
        return m ? ready(n, m) : nullptr;
    }
    RequestObject* req = c->request;
    if (!c->body_given && req->body_reader) {
        // Streamed: the reader gives each piece as a message, paced by these calls.
        switch (body_reader_state(req->body_reader)) {
        case BodyReading::more:
            return body_reader_read_message(req->body_reader);
        case BodyReading::cut:
            c->gone = true;
            return Call_receive(c, nullptr);
        case BodyReading::all:
            c->body_given = true;  // its last message went out
            break;
        }
    }
    if (!c->body_given) {
        c->body_given = true;
        PyObject* m = request_message(n, req->has_body ? req->body : std::string_view(), false);
        return m ? ready(n, m) : nullptr;
    }
    if (c->stage == Stage::done) {
        PyObject* m = disconnect_message(n);
        return m ? ready(n, m) : nullptr;
    }
    // The body is read: what comes next is the end of the response, or of the connection.
    if (c->waiter) {
        PyErr_SetString(PyExc_RuntimeError, "ASGI receive() is already waiting: one at a time");
        return nullptr;
    }
    if (!(c->waiter = PyObject_CallMethod(e->loop_, "create_future", nullptr))) return nullptr;
    return Py_NewRef(c->waiter);
}

PyMethodDef Call_methods[] = {
    {"receive", reinterpret_cast<PyCFunction>(Call_receive), METH_NOARGS,
     "receive($self, /)\n--\n\nThe ASGI receive(): the next http.request message, then "
     "http.disconnect once the response is done or the client has gone."},
    {"send", reinterpret_cast<PyCFunction>(Call_send), METH_O,
     "send($self, message, /)\n--\n\nThe ASGI send()."},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot Call_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(Call_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(Call_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(Call_clear)},
    {Py_tp_methods, Call_methods},
    {Py_tp_doc, const_cast<char*>("One request served by an ASGI app.")},
    {0, nullptr},
};

}  // namespace

PyType_Spec call_spec = {
    "lesto._native._AsgiCall",
    sizeof(CallObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    Call_slots,
};

namespace {

PyMethodDef receive_def = Call_methods[0];
PyMethodDef send_def = Call_methods[1];

}  // namespace

// ---- what the engine calls ---------------------------------------------------------------

PyObject* start(Engine& e, Connection& conn, RequestObject* req, WebSocketObject* ws,
                PyObject** call) {
    const Names& n = e.self_->state->asgi;
    auto* c = PyObject_GC_New(CallObject, n.call_type);
    *call = reinterpret_cast<PyObject*>(c);
    if (!c) return nullptr;
    c->server = reinterpret_cast<ServerObject*>(Py_NewRef(e.self_));
    c->request = reinterpret_cast<RequestObject*>(Py_NewRef(req));
    c->transfer = nullptr;
    c->waiter = c->task = nullptr;
    c->head = nullptr;
    c->conn_id = conn.id();
    c->seq = req->seq;
    c->sent = 0;
    c->stage = Stage::idle;
    c->body_given = c->gone = c->answered = false;
    c->slot_held = true;
    c->ws = reinterpret_cast<WebSocketObject*>(Py_XNewRef(reinterpret_cast<PyObject*>(ws)));
    c->connect_given = false;
    PyObject_GC_Track(c);
    req->asgi = reinterpret_cast<PyObject*>(c);
    conn.set_token(req->seq, Py_NewRef(c));  // the slot's reference, for abandon
    auto* self = reinterpret_cast<PyObject*>(c);
    PyObject* scope = make_scope(e, conn, req, ws);
    PyObject* receive = scope ? PyCFunction_New(&receive_def, self) : nullptr;
    PyObject* send = receive ? PyCFunction_New(&send_def, self) : nullptr;
    PyObject* result = nullptr;
    if (send) {
        PyObject* args[3] = {scope, receive, send};
        result = PyObject_Vectorcall(e.asgi_app_, args, 3, nullptr);
    }
    Py_XDECREF(scope);
    Py_XDECREF(receive);
    Py_XDECREF(send);
    return result;  // the caller keeps our reference to `c` until the app ends or waits
}

void finish(Engine& e, PyObject* call, PyObject* result) {
    auto* c = reinterpret_cast<CallObject*>(call);
    RequestObject* req = c->request;
    Py_INCREF(c);
    Py_CLEAR(c->task);
    Connection* conn = c->gone ? nullptr : e.find(c->conn_id);
    const bool cancelled = !result && PyErr_ExceptionMatches(PyExc_BaseException) &&
                           !PyErr_ExceptionMatches(PyExc_Exception) &&
                           !PyErr_ExceptionMatches(PyExc_KeyboardInterrupt) &&
                           !PyErr_ExceptionMatches(PyExc_SystemExit);
    // Nothing to say when its client left and send() told it so, or when
    // it was cancelled (the server stops).
    const bool quiet = cancelled || (!result && c->gone &&
                                     PyErr_ExceptionMatches(c->server->state->client_disconnected));
    if (c->ws) {
        websocket_finish(e, c, !result && !quiet);
        Py_XDECREF(result);
    } else if (quiet) {
        PyErr_Clear();
    } else if (!result) {
        if (conn && !c->answered) {
            // Nothing went out: the error page, and the app's traceback in the log.
            c->answered = true;
            e.fail(*conn, c->seq, req, false);
        } else {
            // Too late for an error page: log it, and cut a body left open.
            e.log_failure(req);
        }
    } else {
        Py_DECREF(result);
        if (conn && !c->answered) {
            PyErr_SetString(PyExc_RuntimeError, "the ASGI app returned without sending a response");
            c->answered = true;
            e.fail(*conn, c->seq, req, false);
        } else if (c->stage == Stage::streaming && c->transfer && !c->transfer->ended) {
            PyErr_SetString(PyExc_RuntimeError,
                            "the ASGI app returned before its response body ended "
                            "(more_body=True was its last word); the connection was closed");
            e.log_failure(req);
        }
    }
    if (c->stage == Stage::streaming && c->transfer && !c->transfer->ended)
        transfer_abort(c->transfer);
    drop_slot(c);
    if (!e.dispatching_) e.answered_later(c->conn_id);
    Py_DECREF(c);
}

void keep_task(PyObject* call, PyObject* task) noexcept {
    Py_XSETREF(reinterpret_cast<CallObject*>(call)->task, task);
}

void abandoned(Engine&, PyObject* call) noexcept {
    auto* c = reinterpret_cast<CallObject*>(call);
    c->gone = true;
    c->slot_held = false;  // the reference `abandon` was given is this one
    response_over(c);
    if (c->ws) websocket_gone(c->ws);
    Py_DECREF(c);
}

void body_ended(Engine&, PyObject* call, bool client_gone) noexcept {
    auto* c = reinterpret_cast<CallObject*>(call);
    if (client_gone) c->gone = true;
    response_over(c);
}

}  // namespace lesto::py::asgi
