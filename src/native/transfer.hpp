// transfer.hpp: a response body sent after its head (a stream's or a file's), shared by the
// front-ends: the Lesto API's Response(stream=..., file=...) and ASGI's streamed bodies.
#pragma once

#include "engine.hpp"

#include <string_view>

namespace lesto::py {

/// A Response(stream=...)'s or Response(file=...)'s body on its way: the
/// connection holds it as the open body's token until `body_finished`. For a
/// stream it is also the producer's handle (write, drain, end, abort), used by
/// the engine's pump (stream_pump.cpp) and the one in lesto/streams.py; the
/// bytes and their framing stay in core.
struct TransferObject {
    PyObject_HEAD
    ServerObject* server;
    RequestObject* request;
    PyObject* source;    // stream: the iterable; else null
    PyObject* encoding;  // stream: the encoding of str pieces (null: UTF-8)
    PyObject* task;      // stream: the Task that carries it on, once the engine handed it over
    PyObject* waiter;    // the Future drain() returned, until resolved
    PyObject* ended;     // why it can take no more (a str), once it cannot
    std::uint64_t conn_id;
    std::uint64_t seq;
    std::uint64_t sent;  // body bytes given to the connection
    long code;
    bool calling;    // inside write/end: a failure is the caller's exception, not a log line
    PyObject* asgi;  // borrowed: the ASGI call whose body this is (it clears this when it dies)
};

/// A transfer for request `req`'s response (status `code`); `source` the
/// stream's iterable (null: the caller writes the pieces itself).
TransferObject* transfer_new(ServerObject* server, RequestObject* req, long code, PyObject* source,
                             PyObject* encoding, std::uint64_t conn_id, std::uint64_t seq);
/// Give the next piece: Py_True, Py_False when `transfer_drain` must be
/// awaited first, or null with ClientDisconnected (or another error) set.
PyObject* transfer_write(TransferObject* t, std::string_view bytes);
/// `transfer_write` for a piece as the producer gave it: bytes, str (in the
/// transfer's encoding) or another buffer; a TypeError for anything else.
PyObject* transfer_write_piece(TransferObject* t, PyObject* piece);
/// A Future, done once the connection has room again.
PyObject* transfer_drain(TransferObject* t);
/// The last piece was given: None, or null with an exception set.
PyObject* transfer_end(TransferObject* t);
/// The producer failed: the response is cut short and the connection closed.
void transfer_abort(TransferObject* t);

}  // namespace lesto::py
