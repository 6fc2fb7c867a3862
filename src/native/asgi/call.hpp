// call.hpp: the object behind one ASGI connection's `receive` and `send`, shared by the http
// scope (call.cpp, its response in response.cpp) and the websocket scope (websocket.cpp).
#pragma once

#include "asgi.hpp"

#include "../engine.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lesto::py {
struct WebSocketObject;
}

namespace lesto::py::asgi {

enum class Stage : std::uint8_t {
    idle,       // nothing sent
    started,    // http.response.start received, nothing written
    streaming,  // the head went out; body pieces follow through the transfer
    dropping,   // the head went out alone (HEAD, 204, 304): body pieces are dropped
    file,       // http.response.pathsend: the engine sends the file, nothing more comes
    done,       // the response is complete (or was cut)
};

/// What http.response.start said, kept until the first body message decides how it goes out.
struct Head {
    int status = 200;
    std::string bytes;                                       // the names and values, back to back
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // (name length, value length)
    std::vector<http::Header> headers;                       // views into `bytes`, once made
    std::uint64_t length = 0;                                // a Content-Length the app gave
    bool has_length = false;
    bool close = false;  // the app said Connection: close
};

struct CallObject {
    PyObject_HEAD
    ServerObject* server;
    RequestObject* request;
    TransferObject* transfer;  // the stream, once the head went out with more to come
    PyObject* waiter;          // receive()'s Future while it waits for the disconnect
    PyObject* task;            // the Task running the app, once it waited for something
    Head* head;
    std::uint64_t conn_id;
    std::uint64_t seq;
    std::uint64_t sent;  // body bytes
    Stage stage;
    bool body_given;      // receive() gave the whole request body
    bool gone;            // the client closed the connection
    bool slot_held;       // the connection holds a reference as the request's token
    bool answered;        // an answer (the app's or the engine's) was written
    WebSocketObject* ws;  // a websocket scope's WebSocket, else null
    bool connect_given;   // websocket: receive() gave websocket.connect
    // The app's `receive` and `send`: bound methods made with the call and
    // kept by it while it waits as the engine's spare (asgi::release).
    PyObject* receive;
    PyObject* send;
};

/// A message given to send(), with the keys the front-end reads: found in
/// one pass over its items, not a lookup each. Borrowed from `dict`: valid
/// until Python code runs that could change it.
struct Message {
    PyObject* dict = nullptr;
    PyObject* type = nullptr;
    PyObject* status = nullptr;
    PyObject* headers = nullptr;
    PyObject* body = nullptr;
    PyObject* more_body = nullptr;
    PyObject* text = nullptr;
    PyObject* bytes = nullptr;
};
/// `dict`'s keys named in Message, by identity with the interned names
/// (what a str literal in Python code is) or, for a str made at run time,
/// by value.
Message read_message(const Names& n, PyObject* dict);

Engine* engine_of(CallObject* c);
const Names& names_of(CallObject* c);
/// The connection's reference (the request's token) is given up: the
/// request is answered, or the connection gave it to `abandon`.
void drop_slot(CallObject* c);
/// The response went out whole (or was cut): receive() may say disconnect now.
void response_over(CallObject* c);
/// The engine outside its poll: whatever this call wrote needs a flush.
void wrote(Engine* e, CallObject* c);
PyObject* raise_gone(CallObject* c, const char* why);
/// Whether a message's type is `name` (an interned str, compared by identity first).
bool is(PyObject* type, PyObject* name);

/// Read http.response.start (or websocket.http.response.start) into `c->head`.
bool read_start(CallObject* c, const Message& message);
/// http.response.body (or websocket.http.response.body) after the start.
PyObject* send_body(Engine* e, CallObject* c, const Message& message);
/// http.response.pathsend after the start: the engine sends the file.
PyObject* send_path(Engine* e, CallObject* c, PyObject* message);

// The websocket scope (websocket.cpp).
/// send() and receive() of a call whose scope is a websocket.
PyObject* websocket_send(Engine* e, CallObject* c, const Message& message);
PyObject* websocket_receive(CallObject* c);
/// The app ended (`failed`: it raised, the exception set) for a websocket
/// scope: refuse or close what it left open. True when that settled it.
void websocket_finish(Engine& e, CallObject* c, bool failed);

}  // namespace lesto::py::asgi
