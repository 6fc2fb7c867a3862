// call.cpp: one ASGI request: its `receive` and `send`, and where its response stands.
//
// `send` hands each message to its translation into the engine's own calls
// (response.cpp for http, websocket.cpp for websocket); the call keeps where
// the response stands (`Stage`). `receive` gives the body as the connection
// reads it (a BodyReader, paced by the app). An awaitable that is already
// done (`Ready`) answers whatever needs no waiting, so an app that never
// waits runs to its end in the engine's first step, without a Task.
#include "call.hpp"

#include "../refcount.hpp"
#include "../transfer.hpp"
#include "../websocket.hpp"

#include <cstring>

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

Message read_message(const Names& n, PyObject* dict) {
    Message m;
    m.dict = dict;
    PyObject* const names[] = {n.type, n.status, n.headers, n.body, n.more_body, n.text, n.bytes};
    PyObject** const slots[] = {&m.type,      &m.status, &m.headers, &m.body,
                                &m.more_body, &m.text,   &m.bytes};
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        std::size_t i = 0;
        while (i < std::size(names) && key != names[i]) ++i;
        // Not one of the names by identity: a str made at run time may still be.
        if (i == std::size(names)) {
            i = 0;
            while (i < std::size(names) && !is(key, names[i])) ++i;
        }
        if (i < std::size(names)) *slots[i] = value;
    }
    return m;
}

namespace {

/// Whether exact str `s` has its characters in place (PEP 393); before 3.12
/// a legacy one made by the old Py_UNICODE calls may not, until readied.
bool canonical(PyObject* s) {
#if PY_VERSION_HEX < 0x030C0000
    return PyUnicode_IS_READY(s);
#else
    static_cast<void>(s);
    return true;
#endif
}

}  // namespace

bool is(PyObject* type, PyObject* name) {
    if (type == name) return true;
    // A str literal with a dot ("http.response.start") is not interned, so
    // most types arrive as another object with the same characters.
    if (PyUnicode_CheckExact(type) && canonical(type)) {
        // Another interned str has other characters; an exact str is in its
        // canonical form, so equal ones have the same kind and bytes.
        if (PyUnicode_CHECK_INTERNED(type)) return false;
        const Py_ssize_t length = PyUnicode_GET_LENGTH(type);
        return length == PyUnicode_GET_LENGTH(name) &&
               PyUnicode_KIND(type) == PyUnicode_KIND(name) &&
               std::memcmp(PyUnicode_DATA(type), PyUnicode_DATA(name),
                           static_cast<std::size_t>(length) * PyUnicode_KIND(type)) == 0;
    }
    return PyUnicode_Check(type) && PyUnicode_Compare(type, name) == 0;
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
    Py_VISIT(c->receive);
    Py_VISIT(c->send);
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
    Py_CLEAR(c->receive);
    Py_CLEAR(c->send);
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
    const Message m = read_message(n, message);
    PyObject* type = m.type;
    if (!type) {
        PyErr_SetString(PyExc_ValueError, "ASGI send(): the message has no 'type'");
        return nullptr;
    }
    if (c->ws) return websocket_send(e, c, m);
    if (is(type, n.response_body)) return send_body(e, c, m);
    if (is(type, n.response_start)) {
        if (c->gone) return raise_gone(c, "the client closed the connection");
        if (c->stage != Stage::idle) {
            PyErr_SetString(PyExc_RuntimeError, "ASGI: http.response.start sent twice");
            return nullptr;
        }
        if (!read_start(c, m)) return nullptr;
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

namespace {

/// A call with its `receive` and `send`, fresh or the spare one; its
/// request's fields are set by `start`.
CallObject* take_call(Engine& e, const Names& n) {
    if (PyObject* spare = std::exchange(e.spare_call_, nullptr))
        return reinterpret_cast<CallObject*>(spare);
    auto* c = PyObject_GC_New(CallObject, n.call_type);
    if (!c) return nullptr;
    c->server = reinterpret_cast<ServerObject*>(Py_NewRef(e.self_));
    c->request = nullptr;
    c->transfer = nullptr;
    c->waiter = c->task = nullptr;
    c->head = nullptr;
    c->ws = nullptr;
    c->receive = c->send = nullptr;
    PyObject_GC_Track(c);
    auto* self = reinterpret_cast<PyObject*>(c);
    if (!(c->receive = PyCFunction_New(&receive_def, self)) ||
        !(c->send = PyCFunction_New(&send_def, self))) {
        Py_DECREF(c);
        return nullptr;
    }
    ++e.calls_made_;
    return c;
}

}  // namespace

PyObject* start(Engine& e, Connection& conn, RequestObject* req, WebSocketObject* ws,
                PyObject** call) {
    const Names& n = e.self_->state->asgi;
    CallObject* c = take_call(e, n);
    *call = reinterpret_cast<PyObject*>(c);
    if (!c) return nullptr;
    c->request = reinterpret_cast<RequestObject*>(Py_NewRef(req));
    c->conn_id = conn.id();
    c->seq = req->seq;
    c->sent = 0;
    c->stage = Stage::idle;
    c->body_given = c->gone = c->answered = false;
    c->slot_held = true;
    c->ws = reinterpret_cast<WebSocketObject*>(Py_XNewRef(reinterpret_cast<PyObject*>(ws)));
    c->connect_given = false;
    req->asgi = reinterpret_cast<PyObject*>(c);
    conn.set_token(req->seq, Py_NewRef(c));  // the slot's reference, for abandon
    PyObject* scope = make_scope(e, conn, req, ws);
    PyObject* result = nullptr;
    if (scope) {
        PyObject* args[3] = {scope, c->receive, c->send};
        result = PyObject_Vectorcall(e.asgi_app_, args, 3, nullptr);
        Py_DECREF(scope);
    }
    return result;  // the caller keeps our reference to `c` until the app ends or waits
}

void release(Engine& e, PyObject* call) {
    if (!call) return;
    auto* c = reinterpret_cast<CallObject*>(call);
    // Ours and the two methods' are the only references (refcount.hpp,
    // facts 1 and 2): the app ended, its Task (if any) is gone, nothing
    // kept `receive` or `send`, and the connection let go of its token.
    const bool reusable = !e.spare_call_ && c->request && !c->ws && !c->task && !c->waiter &&
                          !c->transfer && !c->slot_held && refcount::only_known_refs(call, 3) &&
                          refcount::only_known_refs(c->receive, 1) &&
                          refcount::only_known_refs(c->send, 1);
    if (reusable) {
        if (c->request->asgi == call) c->request->asgi = nullptr;
        Py_CLEAR(c->request);
        e.spare_call_ = call;
        return;
    }
    // Given up: the methods' references to the call end with them (the app's
    // if it kept one), not in a cycle through the call.
    Py_CLEAR(c->receive);
    Py_CLEAR(c->send);
    Py_DECREF(call);
}

void drop_spare(PyObject*& spare) {
    if (!spare) return;
    auto* c = reinterpret_cast<CallObject*>(spare);
    Py_CLEAR(c->receive);
    Py_CLEAR(c->send);
    Py_CLEAR(spare);
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
