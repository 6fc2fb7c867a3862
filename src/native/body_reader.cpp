// body_reader.cpp: lesto._native.BodyReader, a request body read piece by piece as the app asks.
#include "engine.hpp"

#include "asgi/asgi.hpp"

#include "parser/percent.hpp"

#include <string>

namespace lesto::py {

/// The reader of one request's streamed body (a stream_body route's). Each
/// read() asks the connection for the next piece and returns a Future of it;
/// the connection reads the socket only as far as the reader asks, so an
/// app that reads slowly slows the client down, with bounded memory. The
/// connection holds a reference while the body is still arriving.
struct BodyReaderObject {
    PyObject_HEAD
    ServerObject* server;
    PyObject* waiter;  // the Future read() returned, until a piece resolves it
    PyObject* error;   // why no more can be read (str), once so
    std::uint64_t conn_id;
    std::uint64_t seq;
    bool ended;  // the last piece was given
    bool asgi;   // pieces are ASGI http.request messages; a cut body, http.disconnect
};

namespace {

int BodyReader_traverse(BodyReaderObject* b, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(b));
    Py_VISIT(b->server);
    Py_VISIT(b->waiter);
    Py_VISIT(b->error);
    return 0;
}

int BodyReader_clear(BodyReaderObject* b) {
    Py_CLEAR(b->server);
    Py_CLEAR(b->waiter);
    Py_CLEAR(b->error);
    return 0;
}

void BodyReader_dealloc(BodyReaderObject* b) {
    PyTypeObject* type = Py_TYPE(b);
    PyObject_GC_UnTrack(b);
    BodyReader_clear(b);
    PyObject_GC_Del(b);
    Py_DECREF(type);
}

/// A Future already resolved with `value` (or failed with ClientDisconnected(`error`)).
PyObject* settled(Engine* e, PyObject* value, PyObject* error) {
    PyObject* f = PyObject_CallMethod(e->loop_, "create_future", nullptr);
    if (!f) return nullptr;
    PyObject* r;
    if (error) {
        PyObject* exc = PyObject_CallOneArg(e->self_->state->client_disconnected, error);
        r = exc ? PyObject_CallMethod(f, "set_exception", "O", exc) : nullptr;
        Py_XDECREF(exc);
    } else {
        r = PyObject_CallMethod(f, "set_result", "O", value);
    }
    if (!r) Py_CLEAR(f);
    Py_XDECREF(r);
    return f;
}

/// read(), and ASGI's receive() on a streamed body: the Future resolves to
/// a bytes piece, or for an ASGI reader to an http.request message (and to
/// http.disconnect, not ClientDisconnected, when the body is cut short).
PyObject* BodyReader_read(BodyReaderObject* b, PyObject*) {
    Engine* e = b->server ? b->server->engine : nullptr;
    if (!e) {
        PyErr_SetString(PyExc_RuntimeError, "the server has stopped");
        return nullptr;
    }
    if (b->waiter) {
        PyErr_SetString(PyExc_RuntimeError,
                        b->asgi ? "ASGI receive() is already waiting: one at a time"
                                : "the request body is already being read: one read() at a time");
        return nullptr;
    }
    const asgi::Names& n = b->server->state->asgi;
    if (b->ended) {
        PyObject* last =
            b->asgi ? asgi::request_message(n, {}, false) : PyBytes_FromStringAndSize("", 0);
        PyObject* f = last ? settled(e, last, nullptr) : nullptr;
        Py_XDECREF(last);
        return f;
    }
    Connection* conn = b->error ? nullptr : e->find(b->conn_id);
    if (!conn || !conn->want_body(b->seq)) {
        if (!b->error) b->error = PyUnicode_FromString("the client closed the connection");
        if (!b->error) return nullptr;
        if (!b->asgi) return settled(e, nullptr, b->error);
        PyObject* m = asgi::disconnect_message(n);
        PyObject* f = m ? settled(e, m, nullptr) : nullptr;
        Py_XDECREF(m);
        return f;
    }
    if (!(b->waiter = PyObject_CallMethod(e->loop_, "create_future", nullptr))) return nullptr;
    e->answered_later(b->conn_id);  // have the connection serviced: its next piece, or a read
    return Py_NewRef(b->waiter);
}

PyMethodDef BodyReader_methods[] = {
    {"read", reinterpret_cast<PyCFunction>(BodyReader_read), METH_NOARGS,
     "read($self, /)\n--\n\nA Future of the next piece of the body; b'' once it is all read. "
     "Fails with ClientDisconnected when the body cannot be read to its end."},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot BodyReader_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(BodyReader_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(BodyReader_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(BodyReader_clear)},
    {Py_tp_methods, BodyReader_methods},
    {Py_tp_doc, const_cast<char*>("A request body read piece by piece, as the app asks.")},
    {0, nullptr},
};

}  // namespace

PyType_Spec body_reader_spec = {
    "lesto._native.BodyReader",
    sizeof(BodyReaderObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION |
        Py_TPFLAGS_IMMUTABLETYPE,
    BodyReader_slots,
};

BodyReading body_reader_state(PyObject* reader) {
    auto* b = reinterpret_cast<BodyReaderObject*>(reader);
    if (b->error) return BodyReading::cut;
    return b->ended ? BodyReading::all : BodyReading::more;
}

PyObject* body_reader_read_message(PyObject* reader) {
    return BodyReader_read(reinterpret_cast<BodyReaderObject*>(reader), nullptr);
}

PyObject* body_reader_new(ServerObject* server, std::uint64_t conn_id, std::uint64_t seq,
                          bool asgi) {
    auto* b = PyObject_GC_New(BodyReaderObject, server->state->body_reader_type);
    if (!b) return nullptr;
    b->server = reinterpret_cast<ServerObject*>(Py_NewRef(server));
    b->waiter = b->error = nullptr;
    b->conn_id = conn_id;
    b->seq = seq;
    b->ended = false;
    b->asgi = asgi;
    PyObject_GC_Track(b);
    return reinterpret_cast<PyObject*>(b);
}

bool Engine::streams_body(const http::RequestHead& head) {
    // ASGI gives every body as the app receives it, paced by the app.
    if (asgi_app_) return head.body_kind != http::BodyKind::none;
    std::string_view route_path = head.path;
    if (http::routing_decode(route_path, decoded_path_)) route_path = decoded_path_;
    const router::Match match = router_.match(head.method, route_path);
    return match.kind == router::MatchKind::found && streams_body_[match.route];
}

void Engine::body_input(void* token, std::string_view piece, bool last,
                        std::string_view error) noexcept {
    auto* b = static_cast<BodyReaderObject*>(token);
    if (!error.empty() && !b->error) {
        b->error =
            PyUnicode_DecodeUTF8(error.data(), static_cast<Py_ssize_t>(error.size()), "replace");
        if (!b->error) PyErr_Clear();
    }
    if (last) b->ended = true;
    if (b->waiter) {
        PyObject* value;
        if (b->asgi) {
            const asgi::Names& n = self_->state->asgi;
            value = error.empty() ? asgi::request_message(n, piece, !last)
                                  : asgi::disconnect_message(n);
        } else if (!error.empty()) {
            PyErr_SetObject(self_->state->client_disconnected, b->error ? b->error : Py_None);
            value = nullptr;
        } else {
            value = PyBytes_FromStringAndSize(piece.data(), static_cast<Py_ssize_t>(piece.size()));
        }
        settle(b->waiter, value);
    }
    if (last || !error.empty()) {
        Py_DECREF(b);  // the connection's reference: it gives nothing more
    }
}

}  // namespace lesto::py
