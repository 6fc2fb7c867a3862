// native.hpp: the binding's shared declarations: module state and the object layouts.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "asgi/names.hpp"
#include "net/timeouts.hpp"
#include "parser/request.hpp"
#include "pipeline/connection.hpp"
#include "pipeline/limits.hpp"
#include "response/writer.hpp"
#include "response_args.hpp"
#include "router/router.hpp"

namespace lesto::net {
class TlsContext;
class TlsPeer;
}  // namespace lesto::net

namespace lesto::py {

struct JsonScratch;

/// The request methods whose str every request of that method shares (request.method).
inline constexpr std::string_view interned_methods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

/// Dead Responses' memory, reused by the next (response_type.cpp): a handler
/// builds one per request and it dies as soon as it is written, so without
/// these every request pays a malloc and a free. Holds no references. Per
/// module; the GIL guards it (refcount.hpp, fact 4).
struct SpareResponses {
    static constexpr int max = 32;
    PyObject* items[max] = {};
    int count = 0;
};

/// Per-module state: the types and interned names every hot path needs.
/// Objects reach it through the Server they belong to, never through a global.
struct ModuleState {
    PyTypeObject* request_type = nullptr;
    PyTypeObject* response_type = nullptr;
    PyTypeObject* server_type = nullptr;
    PyTypeObject* server_config_type = nullptr;
    PyTypeObject* suspended_type = nullptr;  // not in the module: private
    PyTypeObject* transfer_type = nullptr;
    PyTypeObject* body_reader_type = nullptr;
    PyTypeObject* websocket_type = nullptr;
    PyTypeObject* tls_context_type = nullptr;
    PyObject* client_disconnected = nullptr;  // lesto._native.ClientDisconnected
    PyObject* websocket_closed = nullptr;     // lesto._native.WebSocketClosed, a subclass
    PyObject* json_dumps = nullptr;           // orjson.dumps, imported on first use
    PyObject* json_mappings = nullptr;        // list of the classes json_as_dict registered
    JsonScratch* json_scratch = nullptr;      // json_dumps' output before it becomes bytes
    // Interned keyword names of Response(...), compared by identity first.
    PyObject* kw[response_arg_count] = {};
    PyObject* str_add_done_callback = nullptr;
    PyObject* str_result = nullptr;
    PyObject* str_cancelled = nullptr;
    PyObject* str_cancel = nullptr;
    PyObject* str_bind = nullptr;
    PyObject* str_drive = nullptr;
    PyObject* str_cancels_attr = nullptr;  // "_cancels"
    PyObject* str_http = nullptr;          // request.scheme over plain TCP
    PyObject* str_https = nullptr;         // and over TLS
    PyObject* methods[std::size(interned_methods)] = {};
    SpareResponses spare_responses;
    asgi::Names asgi;                  // the ASGI front-end's types and strings
    std::uint64_t responses_made = 0;  // not from spare_responses (_native._reuse_counts)
};

ModuleState* state_of_type(PyTypeObject* type);

/// The UTF-8 bytes of a str, without a lookup for the usual compact ASCII
/// one; null with an exception set when it has none (lone surrogates).
inline const char* utf8_of(PyObject* str, Py_ssize_t* size) {
    if (PyUnicode_IS_COMPACT_ASCII(str)) {
        *size = PyUnicode_GET_LENGTH(str);
        return static_cast<const char*>(PyUnicode_DATA(str));
    }
    return PyUnicode_AsUTF8AndSize(str, size);
}

/// The UTF-8 of a str, as a view into the str, whole (a NUL in it stays);
/// false with an exception set.
inline bool utf8_view(PyObject* str, std::string_view& out) {
    Py_ssize_t n;
    const char* p = utf8_of(str, &n);
    if (!p) return false;
    out = {p, static_cast<std::size_t>(n)};
    return true;
}

/// Adds the route `pattern` (a str) for `methods` (a tuple of str) to
/// `router`: false with ValueError saying what to fix, or TypeError.
bool add_route(router::Router& router, PyObject* pattern, PyObject* methods);

// ---- limits and timeouts (settings.cpp) -----------------------------------------

/// `given` ({name: int}, a dict) over `out`: false with ValueError naming an
/// unknown name or a value that is not a positive int.
bool read_limits(PyObject* given, ConnectionLimits& out);
bool read_timeouts(PyObject* given, net::Timeouts& out);
/// The module's LIMITS and TIMEOUTS: {name: (default, doc)}, from core's tables.
bool add_settings(PyObject* module);

// ---- Response ---------------------------------------------------------------

/// What a Response's `content` came from, which decides its default
/// Content-Type. From `stream` on, the body is not in memory: `content` is
/// the iterable (stream) or the path, str or bytes (file).
enum class ContentKind : std::uint8_t { none, text, body, json, stream, file };

struct ResponseObject {
    PyObject_HEAD
    int code;
    ContentKind kind;
    PyObject* content;    // str (text/json encoded as utf-8 lazily) or bytes; may be null
    PyObject* mime_type;  // str or null
    PyObject* encoding;   // str or null
    PyObject* headers;    // dict or null
    PyObject* cookies;    // list of bytes, each a Set-Cookie value rendered when built; or null
    ModuleState* state;   // its type's module's: where its memory goes when it dies
};

// The checks of Response(...)'s arguments (response_fields.cpp): each
// converts to the bytes the writer sends and asks core's rules, false (or
// null) with a ValueError naming what and where, or a TypeError.
/// Response(code=...): an int, a status code.
bool read_status(PyObject* code, int& out);
/// Response(mime_type=...) or (encoding=...), named by `argument`: a field value.
bool check_text_field(const char* argument, PyObject* value);
/// Response(headers=...): a dict of tokens to field values, not naming the
/// framing fields; but a stream's may declare its Content-Length.
bool check_headers(PyObject* headers, bool stream);

/// Response(cookies=...): a SimpleCookie, rendered now into a list of bytes,
/// one field value per Set-Cookie.
PyObject* render_cookies(PyObject* cookies);
/// The bytes of one header for the writer, when the Response is written.
bool header_view(PyObject* name, PyObject* value, http::Header& out);

/// Build a Response from Response(...) arguments (vectorcall convention).
PyObject* response_new(ModuleState* st, PyTypeObject* type, PyObject* const* args,
                       std::size_t nargs, PyObject* kwnames);
extern PyType_Spec response_spec;
/// JSON for Response(json=...) (json.cpp): the engine walks the containers,
/// orjson encodes the values it does not know.
PyObject* json_dumps(ModuleState* st, PyObject* obj);
/// _native.json_as_dict(cls): Response(json=...) encodes instances of `cls`
/// as dict(instance). Returns `cls`, so it can decorate the class.
PyObject* json_as_dict(PyObject* module, PyObject* cls);
JsonScratch* json_scratch_new();
void json_scratch_free(JsonScratch* scratch) noexcept;
void response_type_ready(PyTypeObject* type);
/// Frees the memory of dead Responses kept for reuse (module clear).
void response_spares_clear(ModuleState* st) noexcept;
/// _native._reuse_counts(request) (refcount.cpp).
PyObject* reuse_counts(PyObject* module, PyObject* request);

/// Wakes whoever awaits the Future in `waiter` (taken from it; nothing when
/// it is empty): resolved with `value` (stolen), or, when `value` is null,
/// failed with the Python error set now (which is cleared). An engine
/// callback cannot raise: a Future that refuses is reported unraisable
/// (coroutines.cpp).
void settle(PyObject*& waiter, PyObject* value) noexcept;

/// The type of request.Response (response_method.cpp), and the one instance
/// the Request class holds: builds Responses of `response_type`.
extern PyType_Spec response_method_spec;
PyObject* response_method_new(PyTypeObject* method_type, PyTypeObject* response_type);

/// Views of a Response for the writer; the Response must outlive the use.
struct ResponseView {
    http::ResponseSpec spec;
    std::vector<http::Header> headers;
    std::vector<std::string_view> cookies;
};
/// Fill `view` from `resp`. Returns false with a Python exception set.
bool response_view(ResponseObject* resp, ResponseView& view);

// ---- Request ----------------------------------------------------------------

struct ServerObject;

/// Copies a request keeps once it outlives the dispatch that created it.
struct OwnedRequest {
    std::string raw_head;
    std::string route_path;
    std::string body;
    std::string remote_addr;
    std::shared_ptr<const net::TlsPeer> tls;
    http::RequestHead head;
    /// Only the route's parameters: a whole router::Match is 400 bytes of
    /// room for sixteen, which an idle WebSocket's request would keep.
    std::vector<router::Param> params;
};

struct RequestObject {
    PyObject_HEAD
    ServerObject* server;  // strong reference
    const http::RequestHead* head;
    std::string_view body;
    bool has_body;
    /// The matched route's parameters, views into route_path; empty when no route matched.
    std::span<const router::Param> params;
    std::size_t route_index;      ///< the matched route's, when `route` is set
    std::string_view route_path;  ///< the percent-decoded path the router matched
    std::string_view raw_head;
    const std::string* remote_addr;
    const std::shared_ptr<const net::TlsPeer>* tls;  // the connection's (or the owned copy)
    std::uint64_t conn_id;
    std::uint64_t seq;
    OwnedRequest* owned;  // set by request_detach
    PyObject* route;      // route object (from the app's router) or null
    // Values built on first access.
    PyObject* method_obj;
    PyObject* path_obj;
    PyObject* headers_obj;
    PyObject* body_obj;
    PyObject* query_string_obj;
    PyObject* match_dict_obj;
    PyObject* remote_addr_obj;
    PyObject* tls_obj;
    PyObject* extra_obj;
    bool built;                // some value above was built (and must be cleared on reset)
    PyObject* done_callbacks;  // list, created by add_done_callback
    PyObject* body_reader;     // a BodyReader when the body streams, else null
    PyObject* asgi;            // borrowed: the ASGI call serving it (it clears this), else null
    double started;            // monotonic seconds at dispatch, when timing is on
    PyObject* dict;            // for attributes set by the app
};

extern PyType_Spec request_spec;
void request_bind(RequestObject* r, ServerObject* server, Connection& conn, std::uint64_t seq,
                  const RequestRef& ref, std::string_view route_path, const router::Match* match,
                  PyObject* route);
/// The part of request_reset for a request that built values, has done-callbacks or owns copies.
void request_reset_extras(RequestObject* r);
/// Drop the cached values so a spare request can serve the next one. Inline:
/// it runs after every request, and most handlers leave nothing to drop.
inline void request_reset(RequestObject* r) {
    if (r->built || r->done_callbacks || r->owned) request_reset_extras(r);
    Py_CLEAR(r->route);
}
/// Copy everything the request views so it stays valid after the dispatch.
void request_detach(RequestObject* r);

// ---- Server -----------------------------------------------------------------

/// lesto._native.ServerConfig (server_config.cpp, which documents each
/// field): what a Server takes from the app and the event loop, checked
/// once, when the config is made.
struct ServerConfigObject {
    PyObject_HEAD
    // The fields, as given (limits and timeouts: copies).
    PyObject* routes;  // a tuple of (pattern, methods, handler, route)
    PyObject* request_class;
    PyObject* headers_factory;
    PyObject* error_response;
    PyObject* not_found_response;
    PyObject* scheduler;
    PyObject* limits;
    PyObject* timeouts;
    PyObject* access_log;  // None: no access log
    PyObject* callback_failed;
    PyObject* response_refused;  // None: refusals are not reported
    PyObject* run_stream;
    PyObject* response_failed;
    PyObject* content_types;
    PyObject* static_dirs;
    PyObject* static_refused;
    PyObject* asgi;                   // None: the routes serve
    PyObject* asgi_scope;             // None without asgi
    PyObject* asgi_websocket_scope;   // None without asgi
    PyObject* run_websocket;          // None: no WebSocket routes
    PyObject* websocket_compression;  // a bool
    PyObject* tls_event;              // None: TLS events are not reported
    // What the server uses of `scheduler`, read from it once.
    PyObject* loop;
    PyObject* call_soon;
    PyObject* take_over;
    PyObject* stand_in;
    PyObject* run_task;
    PyObject* enter_task;  // None when asyncio has none, as leave_task
    PyObject* leave_task;
    // `limits` and `timeouts` over the engine's defaults.
    ConnectionLimits limit_values;
    net::Timeouts timeout_values;
};
extern PyType_Spec server_config_spec;

class Engine;
struct MemoryGlue;

struct ServerObject {
    PyObject_HEAD
    Engine* engine;
    ModuleState* state;
    PyObject* headers_factory;  // lesto.headers.Headers
    MemoryGlue* memory;         // memory connections' events (server_memory.cpp), or null
};

extern PyType_Spec server_spec;

/// lesto._native.TlsContext (tls.cpp): core's TlsContext, made from Python's arguments.
struct TlsContextObject {
    PyObject_HEAD
    std::shared_ptr<const net::TlsContext> context;
};
extern PyType_Spec tls_context_spec;
/// The ASGI "tls" extension's dict for a connection's TLS (request.tls gives the same).
PyObject* tls_extension(const net::TlsPeer& peer);
const router::Router& engine_router(const Engine& engine) noexcept;
/// An OwnedRequest for request_detach, from the server's pool when it has one.
OwnedRequest* engine_owned_request(ServerObject* server);
/// Back to the pool (or freed): its strings keep their capacity for the next.
void engine_recycle(ServerObject* server, OwnedRequest* owned) noexcept;
extern PyType_Spec suspended_spec;
extern PyType_Spec transfer_spec;
extern PyType_Spec body_reader_spec;
extern PyType_Spec websocket_spec;
/// The content types and static folders of a ServerConfig into `engine` (static.cpp).
bool engine_add_files(Engine& engine, PyObject* content_types, PyObject* static_dirs);
/// A BodyReader for request `req`, whose body streams (body_reader.cpp);
/// `asgi`: it gives ASGI messages (body_reader_read_message), not bytes.
PyObject* body_reader_new(ServerObject* server, std::uint64_t conn_id, std::uint64_t seq,
                          bool asgi);
enum class BodyReading : std::uint8_t { more, all, cut };
/// Where a BodyReader stands: pieces to come, all given, or cut short.
BodyReading body_reader_state(PyObject* reader);
/// ASGI's receive() on a streamed body: a Future of the next http.request
/// message, or of http.disconnect when the body cannot be read to its end.
PyObject* body_reader_read_message(PyObject* reader);

}  // namespace lesto::py
