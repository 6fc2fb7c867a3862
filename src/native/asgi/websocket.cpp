// websocket.cpp: the ASGI websocket scope's receive and send, over the engine's WebSocket.
//
// The messages map one to one onto the WebSocket the Lesto API's handlers
// use (../websocket_flow.cpp): websocket.accept, .send, .close, and the
// denial response (websocket.http.response.*) through the http scope's own
// response path. receive() gives websocket.connect first, then the
// WebSocket's events, which it makes as ASGI dicts.
#include "call.hpp"

#include "../websocket.hpp"
#include "http/fields.hpp"

#include <string>
#include <vector>

namespace lesto::py::asgi {

namespace {

/// websocket.accept's headers: an iterable of [name, value] bytes pairs.
bool accept_headers(PyObject* headers, std::vector<http::Header>& out) {
    PyObject* items = PySequence_Fast(
        headers, "ASGI websocket.accept: 'headers' must be an iterable of [name, value] pairs");
    if (!items) return false;
    bool ok = true;
    for (Py_ssize_t i = 0; ok && i < PySequence_Fast_GET_SIZE(items); ++i) {
        PyObject* pair = PySequence_Fast_GET_ITEM(items, i);
        ok = PyTuple_Check(pair) || PyList_Check(pair);
        ok = ok && PySequence_Size(pair) == 2;
        PyObject* name = ok ? PySequence_Fast_GET_ITEM(pair, 0) : nullptr;
        PyObject* value = ok ? PySequence_Fast_GET_ITEM(pair, 1) : nullptr;
        ok = ok && PyBytes_Check(name) && PyBytes_Check(value);
        if (!ok) {
            PyErr_Format(PyExc_TypeError,
                         "ASGI websocket.accept: each header must be a [name, value] pair of "
                         "bytes, got %.100R",
                         pair);
            break;
        }
        out.push_back(
            {{PyBytes_AS_STRING(name), static_cast<std::size_t>(PyBytes_GET_SIZE(name))},
             {PyBytes_AS_STRING(value), static_cast<std::size_t>(PyBytes_GET_SIZE(value))}});
    }
    Py_DECREF(items);
    return ok;
}

PyObject* accept(Engine* e, CallObject* c, PyObject* message) {
    const Names& n = names_of(c);
    PyObject* subprotocol = PyDict_GetItemWithError(message, n.subprotocol);
    if (!subprotocol && PyErr_Occurred()) return nullptr;
    PyObject* headers = PyDict_GetItemWithError(message, n.headers);
    if (!headers && PyErr_Occurred()) return nullptr;
    std::vector<http::Header> extra;
    // Held while the views are used: the message may be the app's only reference.
    Py_XINCREF(headers);
    const bool ok = (!headers || accept_headers(headers, extra)) &&
                    websocket_accept(c->ws, subprotocol ? subprotocol : Py_None, extra);
    Py_XDECREF(headers);
    if (!ok) return nullptr;
    c->answered = true;
    drop_slot(c);
    wrote(e, c);
    return Py_NewRef(n.done);
}

PyObject* close(CallObject* c, PyObject* message) {
    const Names& n = names_of(c);
    PyObject* code_obj = PyDict_GetItemWithError(message, n.code);
    if (!code_obj && PyErr_Occurred()) return nullptr;
    PyObject* reason = PyDict_GetItemWithError(message, n.reason);
    if (!reason && PyErr_Occurred()) return nullptr;
    long code = 1000;
    if (code_obj && (!PyLong_Check(code_obj) || (code = PyLong_AsLong(code_obj)) == -1)) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "ASGI websocket.close: 'code' must be an int, got %.100R",
                     code_obj);
        return nullptr;
    }
    if (reason == Py_None) reason = nullptr;
    if (reason && !PyUnicode_Check(reason)) {
        PyErr_Format(PyExc_TypeError, "ASGI websocket.close: 'reason' must be a str, got %.100s",
                     Py_TYPE(reason)->tp_name);
        return nullptr;
    }
    const bool refusing = c->ws->state == WsState::handshake;
    PyObject* r = websocket_close(c->ws, static_cast<int>(code), reason);
    if (r && refusing) {
        c->answered = true;  // the 403
        drop_slot(c);
    }
    return r;
}

PyObject* send_message(CallObject* c, const Message& message) {
    PyObject* text = message.text;
    PyObject* bytes = message.bytes;
    if (text == Py_None) text = nullptr;
    if (bytes == Py_None) bytes = nullptr;
    if ((text != nullptr) == (bytes != nullptr) || (text && !PyUnicode_Check(text)) ||
        (bytes && !PyBytes_Check(bytes))) {
        PyErr_SetString(PyExc_ValueError,
                        "ASGI websocket.send needs exactly one of 'text' (str) and 'bytes' "
                        "(bytes)");
        return nullptr;
    }
    return ::lesto::py::websocket_send(c->ws, text ? text : bytes);
}

/// websocket.http.response.start/body: the handshake refused with the app's own response.
PyObject* deny(Engine* e, CallObject* c, const Message& message, bool start) {
    if (c->ws->state != WsState::handshake && c->ws->state != WsState::refused) {
        PyErr_SetString(PyExc_RuntimeError,
                        "ASGI: websocket.http.response after websocket.accept; a denial "
                        "response answers the handshake instead of accepting it");
        return nullptr;
    }
    if (start) {
        if (c->stage != Stage::idle) {
            PyErr_SetString(PyExc_RuntimeError, "ASGI: websocket.http.response.start sent twice");
            return nullptr;
        }
        if (!read_start(c, message)) return nullptr;
        c->stage = Stage::started;
        return Py_NewRef(names_of(c).done);
    }
    PyObject* r = send_body(e, c, message);
    if (r && c->answered && c->ws->state == WsState::handshake) {
        c->ws->state = WsState::refused;
        websocket_drop_owed(c->ws);
    }
    return r;
}

}  // namespace

PyObject* websocket_send(Engine* e, CallObject* c, const Message& message) {
    const Names& n = names_of(c);
    PyObject* type = message.type;
    if (is(type, n.ws_send)) return send_message(c, message);
    if (is(type, n.ws_accept)) return accept(e, c, message.dict);
    if (is(type, n.ws_close)) return close(c, message.dict);
    if (is(type, n.ws_response_start)) return deny(e, c, message, true);
    if (is(type, n.ws_response_body)) return deny(e, c, message, false);
    PyErr_Format(PyExc_ValueError,
                 "ASGI send(): unexpected message type %.100R for a websocket connection "
                 "(websocket.accept, websocket.send, websocket.close, "
                 "websocket.http.response.start, websocket.http.response.body)",
                 type);
    return nullptr;
}

PyObject* websocket_receive(CallObject* c) {
    const Names& n = names_of(c);
    if (!c->connect_given) {
        c->connect_given = true;
        PyObject* m = PyDict_New();
        if (!m || PyDict_SetItem(m, n.type, n.ws_connect) < 0) {
            Py_XDECREF(m);
            return nullptr;
        }
        return ready(n, m);
    }
    if (c->ws->state == WsState::refused) {
        // Refused: nothing will ever come; the client is told it is over.
        PyObject* m = websocket_disconnect(n, 1006, n.empty_str);
        return m ? ready(n, m) : nullptr;
    }
    return ::lesto::py::websocket_receive(c->ws);
}

void websocket_finish(Engine& e, CallObject* c, bool failed) {
    WebSocketObject* w = c->ws;
    Connection* conn = e.find(c->conn_id);
    if (failed) {
        if (conn && !c->answered && w->state == WsState::handshake) {
            // Nothing went out: a 500 instead of the handshake, and the traceback logged.
            c->answered = true;
            e.fail(*conn, c->seq, c->request, false);
            w->state = WsState::refused;
            return;
        }
        e.log_failure(c->request);
        if (w->state == WsState::open) {
            PyObject* r = ::lesto::py::websocket_close(w, 1011, nullptr);
            if (!r) PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(w));
            Py_XDECREF(r);
        }
        return;
    }
    PyErr_Clear();  // a quiet end (cancelled, or the client left): nothing to say
    if (conn && !c->answered && w->state == WsState::handshake) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the ASGI app returned without accepting or closing the WebSocket");
        c->answered = true;
        e.fail(*conn, c->seq, c->request, false);
        w->state = WsState::refused;
        return;
    }
    if (w->state == WsState::open) {
        PyObject* r = ::lesto::py::websocket_close(w, 1000, nullptr);
        if (!r) PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(w));
        Py_XDECREF(r);
    }
}

}  // namespace lesto::py::asgi
