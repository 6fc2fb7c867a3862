// websocket.cpp: lesto._native.WebSocket, one WebSocket's Python side (see websocket.hpp).
#include "websocket.hpp"

#include "asgi/asgi.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace lesto::py {

namespace {

int WebSocket_traverse(WebSocketObject* w, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(w));
    Py_VISIT(w->server);
    Py_VISIT(w->request);
    Py_VISIT(w->offered);
    Py_VISIT(w->subprotocol);
    Py_VISIT(w->receiver);
    Py_VISIT(w->drainer);
    Py_VISIT(w->close_reason);
    Py_VISIT(w->task);
    if (w->queue) {
        for (PyObject* m : *w->queue) Py_VISIT(m);
    }
    return 0;
}

int WebSocket_clear(WebSocketObject* w) {
    Py_CLEAR(w->server);
    Py_CLEAR(w->request);
    Py_CLEAR(w->offered);
    Py_CLEAR(w->subprotocol);
    Py_CLEAR(w->receiver);
    Py_CLEAR(w->drainer);
    Py_CLEAR(w->close_reason);
    Py_CLEAR(w->task);
    if (w->queue) {
        while (!w->queue->empty()) {
            PyObject* m = w->queue->front();
            w->queue->pop_front();
            Py_DECREF(m);
        }
    }
    return 0;
}

void WebSocket_dealloc(WebSocketObject* w) {
    PyTypeObject* type = Py_TYPE(w);
    PyObject_GC_UnTrack(w);
    WebSocket_clear(w);
    delete w->queue;
    PyObject_GC_Del(w);
    Py_DECREF(type);
}

// ---- methods ------------------------------------------------------------------

PyObject* WebSocket_accept(WebSocketObject* w, PyObject* args, PyObject* kwargs) {
    static const char* names[] = {"subprotocol", "headers", nullptr};
    PyObject* subprotocol = Py_None;
    PyObject* headers = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O$O:accept", const_cast<char**>(names),
                                     &subprotocol, &headers)) {
        return nullptr;
    }
    std::vector<http::Header> extra;
    if (headers != Py_None && !websocket_headers(headers, extra)) return nullptr;
    if (!websocket_accept(w, subprotocol, extra)) return nullptr;
    return Py_NewRef(w->server->state->asgi.done);
}

PyObject* WebSocket_receive(WebSocketObject* w, PyObject*) { return websocket_receive(w); }

PyObject* WebSocket_send(WebSocketObject* w, PyObject* data) { return websocket_send(w, data); }

PyObject* WebSocket_close(WebSocketObject* w, PyObject* args, PyObject* kwargs) {
    static const char* names[] = {"code", "reason", nullptr};
    int code = 1000;
    PyObject* reason = nullptr;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|iU:close", const_cast<char**>(names), &code,
                                     &reason)) {
        return nullptr;
    }
    return websocket_close(w, code, reason);
}

PyObject* WebSocket_refuse(WebSocketObject* w, PyObject* response) {
    if (!Py_IS_TYPE(response, w->server->state->response_type)) {
        PyErr_Format(PyExc_TypeError,
                     "a WebSocket handshake is refused with a Response, not %.100s",
                     Py_TYPE(response)->tp_name);
        return nullptr;
    }
    if (!w->server->engine->refuse_websocket(w, reinterpret_cast<ResponseObject*>(response)))
        return nullptr;
    Py_RETURN_NONE;
}

PyObject* WebSocket_anext(WebSocketObject* w) {
    // `async for message in ws` ends when the peer closes normally (1000,
    // 1001 or none given), as the websockets library's does; any other
    // close raises WebSocketClosed.
    if (w->queue->empty() && w->state == WsState::closed &&
        (w->close_code == 1000 || w->close_code == 1001 || w->close_code == 1005)) {
        PyErr_SetNone(PyExc_StopAsyncIteration);
        return nullptr;
    }
    return websocket_receive(w);
}

PyObject* WebSocket_get_request(WebSocketObject* w, void*) {
    return Py_NewRef(w->request ? reinterpret_cast<PyObject*>(w->request) : Py_None);
}
PyObject* WebSocket_get_subprotocols(WebSocketObject* w, void*) {
    return Py_NewRef(w->offered ? w->offered : Py_None);
}
PyObject* WebSocket_get_subprotocol(WebSocketObject* w, void*) {
    return Py_NewRef(w->subprotocol ? w->subprotocol : Py_None);
}
PyObject* WebSocket_get_close_code(WebSocketObject* w, void*) {
    if (!w->close_code) Py_RETURN_NONE;
    return PyLong_FromLong(w->close_code);
}
PyObject* WebSocket_get_close_reason(WebSocketObject* w, void*) {
    return Py_NewRef(w->close_reason ? w->close_reason : Py_None);
}
PyObject* WebSocket_get_state(WebSocketObject* w, void*) {
    static const char* const names[] = {"handshake", "open", "closing", "closed", "refused"};
    return PyUnicode_FromString(names[static_cast<int>(w->state)]);
}

PyMethodDef WebSocket_methods[] = {
    {"accept", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(WebSocket_accept)),
     METH_VARARGS | METH_KEYWORDS,
     "accept($self, /, subprotocol=None, *, headers=None)\n--\n\n"
     "Complete the handshake (101), agreeing on `subprotocol` (one the client offered) and "
     "sending `headers` (a dict). Awaitable. receive() and send() accept with no subprotocol "
     "if this was not called."},
    {"receive", reinterpret_cast<PyCFunction>(WebSocket_receive), METH_NOARGS,
     "receive($self, /)\n--\n\nThe next message: awaitable, a str (text) or bytes (binary). "
     "Raises WebSocketClosed once the peer has closed or gone."},
    {"send", reinterpret_cast<PyCFunction>(WebSocket_send), METH_O,
     "send($self, data, /)\n--\n\nSend a message: str as text, bytes as binary. Awaitable: "
     "it waits while the connection's unsent output is above the high-water mark."},
    {"close", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(WebSocket_close)),
     METH_VARARGS | METH_KEYWORDS,
     "close($self, /, code=1000, reason='')\n--\n\nStart the closing handshake. Awaitable. "
     "Before the handshake was accepted it refuses it (403)."},
    {"_refuse", reinterpret_cast<PyCFunction>(WebSocket_refuse), METH_O,
     "_refuse($self, response, /)\n--\n\nAnswer the handshake with `response` instead of "
     "accepting it (lesto.websocket does, when the handler returns a Response)."},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef WebSocket_getset[] = {
    {"request", reinterpret_cast<getter>(WebSocket_get_request), nullptr,
     "The handshake's request (headers, query, match_dict, cookies).", nullptr},
    {"subprotocols", reinterpret_cast<getter>(WebSocket_get_subprotocols), nullptr,
     "The subprotocols the client offered, in its order (a tuple of str).", nullptr},
    {"subprotocol", reinterpret_cast<getter>(WebSocket_get_subprotocol), nullptr,
     "The subprotocol agreed at accept(), or None.", nullptr},
    {"close_code", reinterpret_cast<getter>(WebSocket_get_close_code), nullptr,
     "The close code once closed (1006: the connection was lost), else None.", nullptr},
    {"close_reason", reinterpret_cast<getter>(WebSocket_get_close_reason), nullptr,
     "The close reason once closed, else None.", nullptr},
    {"state", reinterpret_cast<getter>(WebSocket_get_state), nullptr,
     "'handshake', 'open', 'closing', 'closed' or 'refused'.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyObject* WebSocket_aiter(PyObject* self) { return Py_NewRef(self); }

PyType_Slot WebSocket_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(WebSocket_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(WebSocket_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(WebSocket_clear)},
    {Py_tp_methods, WebSocket_methods},
    {Py_tp_getset, WebSocket_getset},
    {Py_am_aiter, reinterpret_cast<void*>(WebSocket_aiter)},
    {Py_am_anext, reinterpret_cast<void*>(WebSocket_anext)},
    {Py_tp_doc, const_cast<char*>("One WebSocket connection, as its handler sees it.")},
    {0, nullptr},
};

}  // namespace

PyType_Spec websocket_spec = {
    "lesto._native.WebSocket",
    sizeof(WebSocketObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION |
        Py_TPFLAGS_IMMUTABLETYPE,
    WebSocket_slots,
};

WebSocketObject* websocket_new(ServerObject* server, RequestObject* req, Connection& conn,
                               std::uint64_t seq, const ws::Handshake& hs, bool asgi) {
    auto* w = PyObject_GC_New(WebSocketObject, server->state->websocket_type);
    if (!w) return nullptr;
    w->server = reinterpret_cast<ServerObject*>(Py_NewRef(server));
    w->request = reinterpret_cast<RequestObject*>(Py_XNewRef(req));
    w->offered = w->subprotocol = w->receiver = w->drainer = w->close_reason = w->task = nullptr;
    w->queue = new (std::nothrow) MessageQueue;
    w->conn_id = conn.id();
    w->seq = seq;
    w->received = w->sent = 0;
    w->close_code = 0;
    w->state = WsState::handshake;
    w->owed = w->held = false;
    w->asgi = asgi;
    w->key_size = static_cast<std::uint8_t>(std::min(hs.key.size(), sizeof w->key));
    std::memcpy(w->key, hs.key.data(), w->key_size);
    w->deflate_offered = hs.deflate.has_value();
    new (&w->deflate) ws::DeflateParams(hs.deflate.value_or(ws::DeflateParams{}));
    PyObject_GC_Track(w);
    if (!w->queue) {
        Py_DECREF(w);
        PyErr_NoMemory();
        return nullptr;
    }
    w->offered = PyTuple_New(static_cast<Py_ssize_t>(hs.subprotocols.size()));
    if (!w->offered) {
        Py_DECREF(w);
        return nullptr;
    }
    for (std::size_t i = 0; i < hs.subprotocols.size(); ++i) {
        PyObject* name = PyUnicode_DecodeLatin1(
            hs.subprotocols[i].data(), static_cast<Py_ssize_t>(hs.subprotocols[i].size()), nullptr);
        if (!name) {
            Py_DECREF(w);
            return nullptr;
        }
        PyTuple_SET_ITEM(w->offered, static_cast<Py_ssize_t>(i), name);
    }
    return w;
}

}  // namespace lesto::py
