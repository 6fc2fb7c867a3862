// asgi.hpp: the ASGI front-end: an ASGI 3 app served by the engine, the second user of the
// mechanism the Lesto API's handlers use (the request in flight, coroutine steps, transfers,
// streamed request bodies). Python sees only the scope and the messages.
#pragma once

#include "../native.hpp"
#include "names.hpp"

#include <string_view>

namespace lesto::py {

class Engine;
struct TransferObject;
struct WebSocketObject;

namespace asgi {

/// Fill `names` and make the types; false with an exception set.
bool init(PyObject* module, Names& names);
int traverse(Names& names, visitproc visit, void* arg);
void clear(Names& names);

/// The per-request object behind `receive` and `send` (call.cpp).
struct CallObject;

/// Start serving request `req` (bound, its body reader made if its body
/// streams): make its call (`*call`, a new reference; null if that failed),
/// hand the connection its token, and call `app(scope, receive, send)`.
/// Returns what the app returned (a new reference), or null with the
/// exception set.
PyObject* start(Engine& engine, Connection& conn, RequestObject* req, WebSocketObject* ws,
                PyObject** call);

/// The engine's reference to `call` (from `start`) is done with, at the end
/// of the dispatch that started it: kept as the next request's call when
/// nothing else refers to it or to its `receive` and `send` (the app ended
/// and kept neither), else given up.
void release(Engine& engine, PyObject* call);
/// The engine stops: its spare call goes.
void drop_spare(PyObject*& spare);

/// The app's coroutine for `call` ended (`result` its return value, or null
/// with its exception set): answer the request if nothing did (500), cut a
/// body left open, log what the app did wrong.
void finish(Engine& engine, PyObject* call, PyObject* result);

/// The coroutine a Task runs for `call`: steps `coro`, the app's, and
/// calls `finish` the moment it ends (guard.cpp).
PyObject* guard(Engine& engine, PyObject* coro, PyObject* call);
/// `guarded` made its first step under the stand-in `step` (current task
/// for that step, `context` entered) and yielded `yielded` (both stolen):
/// what drives it from here, a new reference. A Task, whose first step
/// hands `yielded` on; or, when the app's code kept the stand-in (an anyio
/// cancel scope compares tasks by identity) or cancelled it, the stand-in
/// itself (EagerStep.drive, lesto/_coro.py). Null with an exception set.
PyObject* carry_on(Engine& engine, PyObject* guarded, PyObject* yielded, PyObject* step,
                   PyObject* context);
extern PyType_Spec guard_spec;

/// The app waits for something: `task` (a new reference, kept until it ends) runs it now.
void keep_task(PyObject* call, PyObject* task) noexcept;

/// The connection closed before the request was answered (the token's `abandon`).
void abandoned(Engine& engine, PyObject* call) noexcept;

/// The response's body, sent through `transfer`, ended (sent, cut, or the client left).
void body_ended(Engine& engine, PyObject* call, bool client_gone) noexcept;

/// The awaitable `receive` gives for a request body piece, or a Future's
/// result: {"type": "http.request", "body": piece, "more_body": more}.
PyObject* request_message(const Names& names, std::string_view piece, bool more);
/// A new {"type": "http.disconnect"}.
PyObject* disconnect_message(const Names& names);
/// {"type": "websocket.receive", "text" or "bytes": payload}.
PyObject* websocket_message(const Names& names, bool text, std::string_view payload);
/// {"type": "websocket.disconnect", "code": code, "reason": reason}.
PyObject* websocket_disconnect(const Names& names, int code, PyObject* reason);
/// An awaitable already done with `value` (stolen) (ready.cpp).
PyObject* ready(const Names& names, PyObject* value);

extern PyType_Spec call_spec;
extern PyType_Spec ready_spec;

/// The scope of request `req` on `conn` (scope.cpp): a copy of the server's
/// template with the request's own keys.
PyObject* make_scope(Engine& engine, Connection& conn, RequestObject* req, WebSocketObject* ws);

}  // namespace asgi
}  // namespace lesto::py
