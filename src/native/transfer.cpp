// transfer.cpp: lesto._native.Transfer, one response body sent after its head: a stream or a file.
#include "transfer.hpp"

#include "asgi/asgi.hpp"

#include "files/serve.hpp"
#include "response/status.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

namespace lesto::py {

namespace {

int Transfer_traverse(TransferObject* t, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(t));
    Py_VISIT(t->server);
    Py_VISIT(t->request);
    Py_VISIT(t->source);
    Py_VISIT(t->encoding);
    Py_VISIT(t->task);
    Py_VISIT(t->waiter);
    Py_VISIT(t->ended);
    return 0;
}

int Transfer_clear(TransferObject* t) {
    Py_CLEAR(t->server);
    Py_CLEAR(t->request);
    Py_CLEAR(t->source);
    Py_CLEAR(t->encoding);
    Py_CLEAR(t->task);
    Py_CLEAR(t->waiter);
    Py_CLEAR(t->ended);
    return 0;
}

void Transfer_dealloc(TransferObject* t) {
    PyTypeObject* type = Py_TYPE(t);
    PyObject_GC_UnTrack(t);
    Transfer_clear(t);
    PyObject_GC_Del(t);
    Py_DECREF(type);
}

/// The connection this transfer's body goes to, or null with ClientDisconnected set.
Connection* connection_of(TransferObject* t) {
    if (!t->server) {  // cleared by the garbage collector: nothing to send to
        PyErr_SetString(PyExc_RuntimeError, "the server of this response is gone");
        return nullptr;
    }
    Engine* e = t->server->engine;
    Connection* conn = e && !t->ended ? e->find(t->conn_id) : nullptr;
    if (conn) return conn;
    if (t->ended) {
        PyErr_SetObject(t->server->state->client_disconnected, t->ended);
    } else {
        PyErr_SetString(t->server->state->client_disconnected, "the connection is closed");
    }
    return nullptr;
}

/// A StreamStatus other than ok/full as the producer's exception.
PyObject* stream_error(TransferObject* t, StreamStatus s) {
    PyObject* type =
        s == StreamStatus::gone ? t->server->state->client_disconnected : PyExc_RuntimeError;
    if (t->ended) {
        PyErr_SetObject(type, t->ended);
    } else {
        PyErr_SetString(type, "the connection is closed");
    }
    return nullptr;
}

PyObject* Transfer_write(TransferObject* t, PyObject* piece) {
    return transfer_write_piece(t, piece);
}

PyObject* Transfer_drain(TransferObject* t, PyObject*) { return transfer_drain(t); }

PyObject* Transfer_end(TransferObject* t, PyObject*) { return transfer_end(t); }

PyObject* Transfer_abort(TransferObject* t, PyObject*) {
    transfer_abort(t);
    Py_RETURN_NONE;
}

PyObject* Transfer_get_request(TransferObject* t, void*) {
    return Py_NewRef(t->request ? reinterpret_cast<PyObject*>(t->request) : Py_None);
}

PyObject* Transfer_get_open(TransferObject* t, void*) {
    return PyBool_FromLong(t->ended == nullptr);
}

PyMethodDef Transfer_methods[] = {
    {"write", reinterpret_cast<PyCFunction>(Transfer_write), METH_O,
     "write($self, piece, /)\n--\n\n"
     "Send the next piece (bytes or str); returns False when drain() must be awaited first."},
    {"drain", reinterpret_cast<PyCFunction>(Transfer_drain), METH_NOARGS,
     "drain($self, /)\n--\n\nA Future, done once the connection has room again."},
    {"end", reinterpret_cast<PyCFunction>(Transfer_end), METH_NOARGS,
     "end($self, /)\n--\n\nThe last piece was given."},
    {"abort", reinterpret_cast<PyCFunction>(Transfer_abort), METH_NOARGS,
     "abort($self, /)\n--\n\n"
     "The producer failed: the response is cut short and the connection closed."},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef Transfer_getset[] = {
    {"request", reinterpret_cast<getter>(Transfer_get_request), nullptr, "The request answered.",
     nullptr},
    {"open", reinterpret_cast<getter>(Transfer_get_open), nullptr,
     "Whether the body can still take pieces.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot Transfer_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(Transfer_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(Transfer_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(Transfer_clear)},
    {Py_tp_methods, Transfer_methods},
    {Py_tp_getset, Transfer_getset},
    {Py_tp_doc,
     const_cast<char*>("One response body on its way to the client (a stream's or a file's).")},
    {0, nullptr},
};

}  // namespace

TransferObject* transfer_new(ServerObject* server, RequestObject* req, long code, PyObject* source,
                             PyObject* encoding, std::uint64_t conn_id, std::uint64_t seq) {
    auto* t = PyObject_GC_New(TransferObject, server->state->transfer_type);
    if (!t) return nullptr;
    t->server = reinterpret_cast<ServerObject*>(Py_NewRef(server));
    t->request = reinterpret_cast<RequestObject*>(Py_NewRef(req));
    t->source = Py_XNewRef(source);
    t->encoding = Py_XNewRef(encoding);
    t->task = t->waiter = t->ended = nullptr;
    t->conn_id = conn_id;
    t->seq = seq;
    t->sent = 0;
    t->code = code;
    t->calling = false;
    t->asgi = nullptr;
    PyObject_GC_Track(t);
    return t;
}

PyObject* transfer_write(TransferObject* t, std::string_view bytes) {
    Connection* conn = connection_of(t);
    if (!conn) return nullptr;
    t->calling = true;
    // Lent, not copied: the piece goes to the socket from its own memory in
    // this call, and only what the socket did not take is kept.
    StreamStatus s = conn->stream_write_lent(t->seq, bytes);
    if (s == StreamStatus::ok || s == StreamStatus::full) {
        t->sent += bytes.size();
        // Out at once: a socket with room takes the piece now, and the
        // producer need not wait for the event loop to come round.
        Engine* e = t->server->engine;
        if (e->net_.service_now(t->conn_id) && !e->flush_follows_) e->schedule_flush();
        conn = e->find(t->conn_id);
        if (conn) s = conn->settle_lent(t->seq);
        if (s == StreamStatus::full && conn && conn->stream_ready(t->seq)) s = StreamStatus::ok;
        if (!conn) s = StreamStatus::ok;  // closed meanwhile: the next piece learns it
    } else {
        t->server->engine->answered_later(t->conn_id);  // a connection to close
    }
    t->calling = false;
    if (s != StreamStatus::ok && s != StreamStatus::full) return stream_error(t, s);
    return Py_NewRef(s == StreamStatus::ok ? Py_True : Py_False);
}

PyObject* transfer_write_piece(TransferObject* t, PyObject* piece) {
    if (!connection_of(t)) return nullptr;
    PyObject* encoded = nullptr;
    std::string_view bytes;
    if (PyBytes_Check(piece)) {
        bytes = {PyBytes_AS_STRING(piece), static_cast<std::size_t>(PyBytes_GET_SIZE(piece))};
    } else if (PyUnicode_Check(piece)) {
        if (t->encoding) {
            const char* enc = PyUnicode_AsUTF8(t->encoding);
            if (!enc || !(encoded = PyUnicode_AsEncodedString(piece, enc, "strict")))
                return nullptr;
        } else if (!(encoded = PyUnicode_AsUTF8String(piece))) {
            return nullptr;
        }
        bytes = {PyBytes_AS_STRING(encoded), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded))};
    } else if (PyObject_CheckBuffer(piece)) {
        if (!(encoded = PyBytes_FromObject(piece))) return nullptr;
        bytes = {PyBytes_AS_STRING(encoded), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded))};
    } else {
        PyErr_Format(PyExc_TypeError,
                     "Response(stream=...) gave %.100s; each piece must be bytes or str",
                     Py_TYPE(piece)->tp_name);
        return nullptr;
    }
    PyObject* r = transfer_write(t, bytes);
    Py_XDECREF(encoded);  // after the write: the piece was lent until then
    return r;
}

PyObject* transfer_drain(TransferObject* t) {
    if (!connection_of(t)) return nullptr;
    Engine* e = t->server->engine;
    if (!t->waiter) {
        t->waiter = PyObject_CallMethod(e->loop_, "create_future", nullptr);
        if (!t->waiter) return nullptr;
    }
    return Py_NewRef(t->waiter);
}

PyObject* transfer_end(TransferObject* t) {
    Connection* conn = connection_of(t);
    if (!conn) return nullptr;
    t->calling = true;
    const StreamStatus s = conn->stream_end(t->seq);
    t->calling = false;
    t->server->engine->answered_later(t->conn_id);
    if (s != StreamStatus::ok) return stream_error(t, s);
    Py_RETURN_NONE;
}

void transfer_abort(TransferObject* t) {
    Engine* e = t->server ? t->server->engine : nullptr;
    Connection* conn = e && !t->ended ? e->find(t->conn_id) : nullptr;
    if (conn) {
        t->calling = true;  // the producer logs its own exception
        conn->stream_abort(t->seq);
        t->calling = false;
        e->answered_later(t->conn_id);
    }
}

PyType_Spec transfer_spec = {
    "lesto._native.Transfer",
    sizeof(TransferObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION |
        Py_TPFLAGS_IMMUTABLETYPE,
    Transfer_slots,
};

bool Engine::write_open(Connection& conn, std::uint64_t seq, RequestObject* req,
                        ResponseObject* resp) {
    if (resp->kind == ContentKind::file) return write_file(conn, seq, req, resp);
    TransferObject* t = transfer_new(self_, req, resp->code,
                                     resp->kind == ContentKind::stream ? resp->content : nullptr,
                                     resp->encoding, conn.id(), seq);
    if (!t) return false;
    OpenBody body;
    body.kind = OpenBody::Kind::stream;
    body.token = t;
    const OpenStatus status = conn.respond_open(seq, view_.spec, body);
    if (status == OpenStatus::open) {  // the connection holds `t` until body_finished
        start_stream(t);
        return true;
    }
    // Answered with the head alone (HEAD, 204, 304), or refused: nothing follows.
    if (status == OpenStatus::refused) refused(req, view_.spec);
    if (status != OpenStatus::gone) answered(req, status == OpenStatus::refused ? 500 : t->code, 0);
    Py_DECREF(t);
    return true;
}

bool Engine::write_file(Connection& conn, std::uint64_t seq, RequestObject* req,
                        ResponseObject* resp) {
    PyObject* path = nullptr;
    if (!PyUnicode_FSConverter(resp->content, &path)) return false;
    files::OpenedFile file = files::open_file(PyBytes_AS_STRING(path));
    if (!file.ok()) {
        const int status = files::open_refusal_status(file.refusal);
        conn.respond_error(seq, status, http::reason_phrase(status));
        std::string why = "Response(file=...): cannot send ";
        why += PyBytes_AS_STRING(path);
        why += ": ";
        why += files::open_refusal_reason(file.refusal);
        if (file.error) (why += ": ") += std::strerror(file.error);
        why += "; answered " + std::to_string(status);
        Py_DECREF(path);
        report(response_failed_, req, why);
        answered(req, status, 0);
        return true;
    }
    if (!resp->mime_type) {
        const files::ContentType type = content_types_.lookup(PyBytes_AS_STRING(path));
        view_.spec.content_type = type.type;
        view_.spec.charset = type.charset;
        view_.spec.content_type_known = true;
    }
    Py_DECREF(path);
    TransferObject* t = transfer_new(self_, req, resp->code,
                                     resp->kind == ContentKind::stream ? resp->content : nullptr,
                                     resp->encoding, conn.id(), seq);
    if (!t) return false;
    files::Served served;
    if (resp->code == 200) {
        served = files::answer_file(conn, seq, *req->head, view_.spec, std::move(file),
                                    std::time(nullptr), t, file_headers_);
    } else {
        // A status of the app's own (a custom 404 page): the whole file, no
        // conditions or ranges, which only make sense for a 200.
        OpenBody body;
        body.kind = OpenBody::Kind::file;
        body.remaining = file.facts.size;
        body.fd = file.release();
        body.token = t;
        const OpenStatus st = conn.respond_open(seq, view_.spec, body);
        served = {st == OpenStatus::refused ? 500 : resp->code,
                  body.remaining,
                  {},
                  st == OpenStatus::open};
    }
    t->code = served.status;
    t->sent = served.length;
    if (served.body_follows) return true;  // the connection holds `t` until body_finished
    if (served.status == 500) refused(req, view_.spec);
    answered(req, served.status, 0);
    Py_DECREF(t);
    return true;
}

void Engine::body_writable(void* token) noexcept {
    auto* t = static_cast<TransferObject*>(token);
    if (t->waiter) settle(t->waiter, Py_NewRef(Py_None));
}

void Engine::body_finished(void* token, BodyEnd how, std::string_view reason) noexcept {
    for (const files::StaticDir& dir : statics_) {
        if (token != &dir) continue;
        // A static file (no Python object stands for it): only a failure is news.
        if (how == BodyEnd::failed) {
            report(response_failed_, nullptr,
                   "a file below static folder " + dir.prefix +
                       " was cut short and the connection closed: " + std::string(reason));
        }
        return;
    }
    if (Py_IS_TYPE(static_cast<PyObject*>(token), self_->state->websocket_type)) {
        websocket_finished(static_cast<WebSocketObject*>(token), how);
        return;
    }
    auto* t = static_cast<TransferObject*>(token);
    if (how != BodyEnd::sent) {
        const std::string why = how == BodyEnd::abandoned
                                    ? std::string("the client closed the connection")
                                    : std::string(reason);
        t->ended = PyUnicode_DecodeUTF8(why.data(), static_cast<Py_ssize_t>(why.size()), "replace");
        if (!t->ended) {
            PyErr_Clear();
            t->ended = Py_NewRef(Py_None);
        }
        // A failure the producer caused reaches it as an exception of its
        // own; any other (a file that shrank, a stop) is logged here.
        if (how == BodyEnd::failed && !t->calling) {
            report(response_failed_, t->request,
                   "the response was cut short and the connection closed: " + why);
        }
    } else {
        t->ended = PyUnicode_FromString("the response is complete");
        if (!t->ended) PyErr_Clear();
    }
    if (t->waiter) {
        PyErr_SetObject(self_->state->client_disconnected, t->ended);
        settle(t->waiter, nullptr);
    }
    if (how == BodyEnd::abandoned && t->task && !t->calling) {
        PyObject* r = PyObject_CallMethodNoArgs(t->task, self_->state->str_cancel);
        if (!r) PyErr_WriteUnraisable(t->task);
        Py_XDECREF(r);
    }
    if (t->request) answered(t->request, t->code, t->sent);
    if (t->asgi) asgi::body_ended(*this, t->asgi, how == BodyEnd::abandoned);
    Py_DECREF(t);  // the connection's reference
}

}  // namespace lesto::py
