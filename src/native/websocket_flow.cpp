// websocket_flow.cpp: a WebSocket's life through the engine: dispatch, accept, messages both
// ways with backpressure, close, and the end of the connection.
#include "websocket.hpp"

#include "asgi/asgi.hpp"

#include "response/status.hpp"
#include "websocket/close.hpp"
#include "websocket/handshake.hpp"
#include "websocket/session.hpp"

#include <string>
#include <vector>

namespace lesto::py {

namespace {

// Messages a WebSocket keeps for its app before the engine stops reading
// the socket (the client then waits in TCP), as the websockets library's
// max_queue: enough to smooth bursts, bounded whatever the client sends.
constexpr std::size_t max_queued = 16;

Engine* engine_of(WebSocketObject* w) { return w->server ? w->server->engine : nullptr; }

Connection* connection_of(WebSocketObject* w) {
    Engine* e = engine_of(w);
    return e ? e->find(w->conn_id) : nullptr;
}

/// Resolve `*future` (taken from the object) with `value` (stolen), or with
/// what a closed WebSocket gives (`websocket_closed_event`) when it is null.
void resolve(WebSocketObject* w, PyObject** future, PyObject* value) {
    if (!*future) {
        Py_XDECREF(value);
        return;
    }
    settle(*future, value ? value : websocket_closed_event(w));
}

PyObject* new_future(WebSocketObject* w) {
    Engine* e = engine_of(w);
    if (!e) {
        PyErr_SetString(PyExc_RuntimeError, "the server of this WebSocket is gone");
        return nullptr;
    }
    return PyObject_CallMethod(e->loop_, "create_future", nullptr);
}

PyObject* done_awaitable(WebSocketObject* w) { return Py_NewRef(w->server->state->asgi.done); }

/// Nothing more will be received: the waiting receive() learns it.
void mark_closed(WebSocketObject* w, int code, std::string_view reason) {
    if (w->state == WsState::closed) return;
    w->state = WsState::closed;
    if (!w->close_code) {
        w->close_code = code;
        Py_XSETREF(
            w->close_reason,
            PyUnicode_DecodeUTF8(reason.data(), static_cast<Py_ssize_t>(reason.size()), "replace"));
        if (!w->close_reason) PyErr_Clear();
    }
    resolve(w, &w->receiver, nullptr);
}

/// The connection gave up our answer's reference (it answered, or closed).
void drop_owed(WebSocketObject* w) {
    if (!w->owed) return;
    w->owed = false;
    Py_DECREF(w);
}

/// Raise WebSocketClosed(code, reason) for `w`; returns null.
PyObject* raise_closed(WebSocketObject* w) {
    ModuleState* st = w->server->state;
    const int code = w->close_code ? w->close_code : 1006;
    PyObject* reason = w->close_reason ? w->close_reason : st->asgi.empty_str;
    PyObject* exc = PyObject_CallFunction(st->websocket_closed, "iO", code, reason);
    if (!exc) return nullptr;
    PyObject* code_obj = PyLong_FromLong(code);
    if (code_obj && PyObject_SetAttrString(exc, "code", code_obj) == 0 &&
        PyObject_SetAttrString(exc, "reason", reason) == 0) {
        PyErr_SetObject(st->websocket_closed, exc);
    }
    Py_XDECREF(code_obj);
    Py_DECREF(exc);
    return nullptr;
}

}  // namespace

PyObject* websocket_closed_event(WebSocketObject* w) {
    if (!w->asgi) return raise_closed(w);
    ModuleState* st = w->server->state;
    return asgi::websocket_disconnect(st->asgi, w->close_code ? w->close_code : 1006,
                                      w->close_reason ? w->close_reason : st->asgi.empty_str);
}

void websocket_drop_owed(WebSocketObject* w) { drop_owed(w); }

void websocket_gone(WebSocketObject* w) {
    mark_closed(w, 1006, "the client left before the handshake was answered");
}

bool websocket_headers(PyObject* headers, std::vector<http::Header>& out) {
    if (!check_headers(headers, false)) return false;
    PyObject *name, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(headers, &pos, &name, &value)) {
        http::Header h;
        if (!header_view(name, value, h)) return false;
        out.push_back(h);
    }
    return true;
}

bool websocket_accept(WebSocketObject* w, PyObject* subprotocol,
                      std::span<const http::Header> extra) {
    if (w->state != WsState::handshake) {
        PyErr_SetString(PyExc_RuntimeError,
                        w->state == WsState::refused
                            ? "the WebSocket handshake was already answered with an HTTP response"
                            : "the WebSocket is already accepted");
        return false;
    }
    std::string_view chosen;
    if (subprotocol != Py_None) {
        if (!PyUnicode_Check(subprotocol)) {
            PyErr_Format(PyExc_TypeError, "subprotocol must be a str or None, not %.100s",
                         Py_TYPE(subprotocol)->tp_name);
            return false;
        }
        const int offered = PySequence_Contains(w->offered, subprotocol);
        if (offered < 0) return false;
        if (!offered) {
            PyErr_Format(PyExc_ValueError,
                         "subprotocol %R was not offered by the client (it offered %R): agree "
                         "on one of those, or None",
                         subprotocol, w->offered);
            return false;
        }
        if (!utf8_view(subprotocol, chosen)) return false;
    }
    Engine* e = engine_of(w);
    Connection* conn = connection_of(w);
    if (!conn || !conn->owes(w->seq)) {
        // The client left meanwhile: as a send would, say so.
        mark_closed(w, 1006, "the client left before the handshake was answered");
        PyObject* event = websocket_closed_event(w);
        if (event) {  // ASGI: the app learns it from receive()
            Py_DECREF(event);
            return true;
        }
        return false;
    }
    WebSocketAccept reply;
    reply.key = {w->key, w->key_size};
    reply.subprotocol = chosen;
    reply.deflate = w->deflate_offered ? &w->deflate : nullptr;
    reply.headers = extra;
    std::string why;
    const OpenStatus status = conn->accept_websocket(w->seq, reply, w, why);
    e->answered_later(w->conn_id);
    drop_owed(w);  // answered: the slot holds the token no more
    if (status == OpenStatus::open) {
        Py_INCREF(w);  // the open body's, dropped by body_finished
        w->state = WsState::open;
        Py_XSETREF(w->subprotocol, Py_NewRef(subprotocol));
        return true;
    }
    w->state = WsState::refused;
    PyErr_Format(PyExc_ValueError, "the WebSocket cannot be accepted so: %s (answered 500)",
                 why.c_str());
    return false;
}

PyObject* websocket_receive(WebSocketObject* w) {
    if (!w->queue->empty()) {
        PyObject* m = w->queue->front();
        w->queue->pop_front();
        if (w->held && w->queue->size() <= max_queued / 2) {
            // Room again: read on (the next flush looks at the socket).
            w->held = false;
            if (Connection* conn = connection_of(w)) {
                conn->ws_hold(false);
                engine_of(w)->answered_later(w->conn_id);
            }
        }
        return asgi::ready(w->server->state->asgi, m);
    }
    if (w->state == WsState::handshake && !w->asgi && !websocket_accept(w, Py_None, {}))
        return nullptr;
    if (w->state == WsState::refused) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the WebSocket handshake was answered with an HTTP response");
        return nullptr;
    }
    if (w->state == WsState::closed) {
        PyObject* event = websocket_closed_event(w);
        return event ? asgi::ready(w->server->state->asgi, event) : nullptr;
    }
    if (w->receiver) {
        PyErr_SetString(PyExc_RuntimeError,
                        "receive() is already being awaited on this WebSocket: receive from "
                        "one task only");
        return nullptr;
    }
    w->receiver = new_future(w);
    return Py_XNewRef(w->receiver);
}

PyObject* websocket_send(WebSocketObject* w, PyObject* data) {
    if (w->state == WsState::handshake && w->asgi) {
        PyErr_SetString(PyExc_RuntimeError,
                        "ASGI: websocket.send before websocket.accept; accept the connection "
                        "first (or refuse it with websocket.close)");
        return nullptr;
    }
    if (w->state == WsState::handshake && !websocket_accept(w, Py_None, {})) return nullptr;
    std::string_view payload;
    bool text;
    Py_buffer view{};
    if (PyUnicode_Check(data)) {
        if (!utf8_view(data, payload)) return nullptr;
        text = true;
    } else if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) == 0) {
        payload = {static_cast<const char*>(view.buf), static_cast<std::size_t>(view.len)};
        text = false;
    } else {
        PyErr_Format(PyExc_TypeError, "a WebSocket message is str or bytes, not %.100s",
                     Py_TYPE(data)->tp_name);
        return nullptr;
    }
    struct Release {
        Py_buffer* v;
        ~Release() {
            if (v->obj) PyBuffer_Release(v);
        }
    } release{&view};
    if (w->state == WsState::refused) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the WebSocket handshake was answered with an HTTP response");
        return nullptr;
    }
    Connection* conn = w->state == WsState::open ? connection_of(w) : nullptr;
    const StreamStatus s = conn ? conn->ws_send(w->seq, text, payload) : StreamStatus::gone;
    if (s == StreamStatus::gone) {
        // Both front-ends raise here: ASGI's send() after a close is an OSError.
        if (w->state == WsState::open) mark_closed(w, 1006, "the connection was lost");
        return raise_closed(w);
    }
    w->sent += payload.size();
    engine_of(w)->answered_later(w->conn_id);
    if (s == StreamStatus::ok) return done_awaitable(w);
    if (!w->drainer && !(w->drainer = new_future(w))) return nullptr;
    return Py_NewRef(w->drainer);
}

PyObject* websocket_close(WebSocketObject* w, int code, PyObject* reason) {
    std::string_view why;
    if (reason && !utf8_view(reason, why)) return nullptr;
    if (code < 0 || code > 0xffff || !ws::is_sendable_code(static_cast<std::uint16_t>(code))) {
        PyErr_Format(PyExc_ValueError,
                     "close code %d cannot be sent: use 1000 (normal), 1001, 1003, 1007-1014, "
                     "or 3000-4999 for the app's own",
                     code);
        return nullptr;
    }
    if (why.size() > ws::max_close_reason) {
        PyErr_Format(PyExc_ValueError,
                     "a close reason is at most 123 bytes of UTF-8 (a control frame's "
                     "payload), this one has %zu",
                     why.size());
        return nullptr;
    }
    Engine* e = engine_of(w);
    Connection* conn = connection_of(w);
    if (w->state == WsState::handshake) {
        // Closed before accepting: the handshake is refused, as ASGI has it.
        if (conn && conn->owes(w->seq)) {
            conn->respond_error(w->seq, 403, "Forbidden: the WebSocket was refused");
            e->answered(w->request, 403, 0);
            e->answered_later(w->conn_id);
        }
        drop_owed(w);
        w->state = WsState::refused;
        return done_awaitable(w);
    }
    if (w->state == WsState::open && conn) {
        conn->ws_close(w->seq, static_cast<std::uint16_t>(code), why);
        e->answered_later(w->conn_id);
        w->state = WsState::closing;
        w->close_code = code;
        Py_XSETREF(w->close_reason, Py_NewRef(reason ? reason : w->server->state->asgi.empty_str));
    }
    return done_awaitable(w);
}

bool Engine::refuse_websocket(WebSocketObject* w, ResponseObject* resp) {
    if (w->state != WsState::handshake) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the WebSocket handshake was already answered: refuse it before "
                        "accepting");
        return false;
    }
    Connection* conn = find(w->conn_id);
    if (conn && conn->owes(w->seq)) {
        if (!write(*conn, w->seq, w->request, resp)) return false;
        answered_later(w->conn_id);
    }
    drop_owed(w);
    w->state = WsState::refused;
    return true;
}

// ---- the engine's side --------------------------------------------------------------

void Engine::ws_message(void* token, bool text, std::string_view payload) noexcept {
    auto* w = static_cast<WebSocketObject*>(token);
    w->received += payload.size();
    PyObject* m =
        w->asgi ? asgi::websocket_message(self_->state->asgi, text, payload)
        : text
            ? PyUnicode_DecodeUTF8(payload.data(), static_cast<Py_ssize_t>(payload.size()), nullptr)
            : PyBytes_FromStringAndSize(payload.data(), static_cast<Py_ssize_t>(payload.size()));
    if (!m) {
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(w));
        return;
    }
    if (w->receiver) {
        resolve(w, &w->receiver, m);
        woke_receiver_ = true;
        return;
    }
    try {
        w->queue->push_back(m);
    } catch (...) {
        Py_DECREF(m);
        return;
    }
    if (w->queue->size() >= max_queued && !w->held) {
        w->held = true;
        if (Connection* conn = find(w->conn_id)) conn->ws_hold(true);
    }
}

void Engine::ws_closed(void* token, std::uint16_t code, std::string_view reason) noexcept {
    mark_closed(static_cast<WebSocketObject*>(token), code, reason);
}

void Engine::websocket_finished(WebSocketObject* w, BodyEnd how) noexcept {
    // The connection is done with it: a close handshake completed (sent), or
    // the connection was lost or cut.
    mark_closed(w, 1006, how == BodyEnd::sent ? "" : "the connection was lost");
    resolve(w, &w->drainer, nullptr);
    if (w->request) answered(w->request, 101, w->sent);
    Py_DECREF(w);  // the connection's reference
}

void Engine::websocket_abandoned(WebSocketObject* w) noexcept {
    // The connection closed before the app answered the handshake.
    w->owed = false;
    mark_closed(w, 1006, "the client left before the handshake was answered");
    if (w->request) answered(w->request, 499, 0);
    Py_DECREF(w);
}

void Engine::dispatch_websocket(Connection& conn, std::uint64_t seq, const RequestRef& ref,
                                RequestObject* req, PyObject* handler) {
    if (!ws::wants_websocket(ref.head)) {
        // A plain request at a WebSocket's address (RFC 9110 15.5.22).
        static constexpr http::Header upgrade{"Upgrade", "websocket"};
        conn.respond_error(seq, 426, "Upgrade Required: this address serves WebSockets",
                           {&upgrade, 1});
        answered(req, 426, 0);
        return;
    }
    ws::Handshake hs;
    ws::DeflateOptions deflate;
    deflate.enabled = websocket_compression_;
    if (const ws::Refusal refusal = ws::read_handshake(ref.head, deflate, hs)) {
        conn.respond_error(seq, refusal.status, refusal.reason, ws::refusal_headers(refusal));
        answered(req, refusal.status, 0);
        return;
    }
    conn.expect_upgrade(seq);
    WebSocketObject* w = websocket_new(self_, req, conn, seq, hs, false);
    if (!w) {
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(self_));
        conn.respond_error(seq, 500, http::reason_phrase(500));
        answered(req, 500, 0);
        return;
    }
    w->owed = true;
    conn.set_token(seq, Py_NewRef(w));
    PyObject* args[2] = {handler, reinterpret_cast<PyObject*>(w)};
    w->task = PyObject_Vectorcall(run_websocket_, args, 2, nullptr);
    if (!w->task) {
        PyErr_WriteUnraisable(run_websocket_);
        if (w->owed) {
            conn.respond_error(seq, 500, http::reason_phrase(500));
            answered(req, 500, 0);
            drop_owed(w);
        }
    }
    Py_DECREF(w);
}

}  // namespace lesto::py
