// websocket.hpp: one WebSocket's Python side, shared by the front-ends: the Lesto API's
// `ws` handle and the ASGI `websocket` scope's receive/send both drive one of these.
#pragma once

#include "engine.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "websocket/handshake.hpp"

namespace lesto::py {

/// Where a WebSocket is in its life, as its app sees it.
enum class WsState : std::uint8_t {
    handshake,  ///< dispatched: neither accepted nor refused yet
    open,       ///< accepted (the 101 is sent or queued)
    closing,    ///< the app closed it; the peer's answer may still come
    closed,     ///< the peer closed it, or the connection is gone
    refused,    ///< answered with an HTTP response instead
};

/// Messages received and not yet taken, oldest first: a vector read from the
/// front. A std::deque allocates half a kilobyte at its first message and
/// keeps it for the WebSocket's life, the most of any part of an idle
/// WebSocket (bench/README.md, idle connections); this keeps a few pointers.
class MessageQueue {
public:
    bool empty() const noexcept { return head_ == items_.size(); }
    std::size_t size() const noexcept { return items_.size() - head_; }
    PyObject* front() const noexcept { return items_[head_]; }
    void pop_front() noexcept {
        if (++head_ == items_.size()) {
            items_.clear();
            head_ = 0;
        }
    }
    void push_back(PyObject* m) {
        // Full, and half of it taken: drop the taken ones rather than grow,
        // so that a queue that never quite empties stays bounded.
        if (items_.size() == items_.capacity() && head_ > 0 && head_ * 2 >= items_.size()) {
            items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
        items_.push_back(m);
    }
    auto begin() const noexcept { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    auto end() const noexcept { return items_.end(); }

private:
    std::vector<PyObject*> items_;
    std::size_t head_ = 0;  // items_[0, head_) are taken
};

/// The connection's token for a WebSocket route's request, from dispatch
/// until the connection is done with it: received messages wait here for
/// `receive`, a `send` past the high-water mark waits on `drainer`.
struct WebSocketObject {
    PyObject_HEAD
    ServerObject* server;
    RequestObject* request;
    PyObject* offered;       // tuple of str: the subprotocols the client offered
    PyObject* subprotocol;   // the one agreed, or None
    PyObject* receiver;      // the Future a receive() waits on
    PyObject* drainer;       // the Future a send() waits on
    PyObject* close_reason;  // str, once closed
    PyObject* task;          // the task running the app for it
    MessageQueue* queue;     // messages received, not yet taken
    std::uint64_t conn_id;
    std::uint64_t seq;
    std::uint64_t received;  // message bytes, for the access line
    std::uint64_t sent;
    int close_code;  // 0 until closed
    WsState state;
    bool owed;  // the connection still holds our reference for the answer
    bool held;  // reading is held: the queue is full
    bool asgi;  // messages are ASGI events (dicts), not str/bytes
    // What the handshake asked for, kept for accept: the key and the
    // permessage-deflate answer, if the client offered one.
    char key[24];
    std::uint8_t key_size;
    bool deflate_offered;
    ws::DeflateParams deflate;
};

/// A WebSocket for request `req` (answer `seq` on `conn`), whose handshake
/// `hs` is valid; null with an exception set.
WebSocketObject* websocket_new(ServerObject* server, RequestObject* req, Connection& conn,
                               std::uint64_t seq, const ws::Handshake& hs, bool asgi);
/// Accept it: 101 with `subprotocol` (None or one offered) and `extra`
/// headers. False with an exception set.
bool websocket_accept(WebSocketObject* w, PyObject* subprotocol,
                      std::span<const http::Header> extra);
/// The headers of accept(headers={...}), checked; false with an exception set.
bool websocket_headers(PyObject* headers, std::vector<http::Header>& out);
/// The next message: an awaitable (done at once when one is queued).
PyObject* websocket_receive(WebSocketObject* w);
/// Send a message (str: text, bytes-like: binary): an awaitable.
PyObject* websocket_send(WebSocketObject* w, PyObject* data);
/// Start the close handshake (before acceptance: refuse with 403).
PyObject* websocket_close(WebSocketObject* w, int code, PyObject* reason);
/// The subprotocols the client offered (a tuple of str, borrowed).
inline PyObject* websocket_offered(WebSocketObject* w) { return w->offered; }
/// The connection closed before the handshake was answered (the ASGI call's `abandon`).
void websocket_gone(WebSocketObject* w);
/// Give up the connection's reference to `w` for the request's answer (its
/// slot's token), once the request is answered some other way.
void websocket_drop_owed(WebSocketObject* w);
/// What receive() gives once nothing more will come: ASGI's
/// websocket.disconnect event, or null with WebSocketClosed set.
PyObject* websocket_closed_event(WebSocketObject* w);

}  // namespace lesto::py
