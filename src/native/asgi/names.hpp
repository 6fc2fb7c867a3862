// names.hpp: what the ASGI front-end keeps per module (the module state holds one).
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <iterator>
#include <string_view>

namespace lesto::py::asgi {

/// Request header names whose lower-cased bytes every scope shares: what
/// browsers, curl, proxies and WebSocket clients send. Lower case.
inline constexpr std::string_view common_header_names[] = {"host",
                                                           "user-agent",
                                                           "accept",
                                                           "accept-encoding",
                                                           "accept-language",
                                                           "connection",
                                                           "content-type",
                                                           "content-length",
                                                           "cookie",
                                                           "referer",
                                                           "origin",
                                                           "cache-control",
                                                           "pragma",
                                                           "authorization",
                                                           "upgrade",
                                                           "upgrade-insecure-requests",
                                                           "if-none-match",
                                                           "if-modified-since",
                                                           "range",
                                                           "expect",
                                                           "transfer-encoding",
                                                           "te",
                                                           "dnt",
                                                           "priority",
                                                           "sec-fetch-site",
                                                           "sec-fetch-mode",
                                                           "sec-fetch-dest",
                                                           "sec-fetch-user",
                                                           "sec-ch-ua",
                                                           "sec-ch-ua-mobile",
                                                           "sec-ch-ua-platform",
                                                           "sec-websocket-key",
                                                           "sec-websocket-version",
                                                           "sec-websocket-extensions",
                                                           "sec-websocket-protocol",
                                                           "x-forwarded-for",
                                                           "x-forwarded-proto",
                                                           "x-forwarded-host",
                                                           "x-real-ip",
                                                           "x-request-id",
                                                           "x-requested-with"};

/// The strings and shared objects the front-end builds messages and scopes
/// from, made once per module.
struct Names {
    PyObject* type = nullptr;  // "type"
    PyObject* body = nullptr;
    PyObject* more_body = nullptr;
    PyObject* status = nullptr;
    PyObject* headers = nullptr;
    PyObject* path = nullptr;
    PyObject* http_request = nullptr;  // "http.request"
    PyObject* http_disconnect = nullptr;
    PyObject* response_start = nullptr;  // "http.response.start"
    PyObject* response_body = nullptr;
    PyObject* response_pathsend = nullptr;
    PyObject* http_version = nullptr;
    PyObject* method = nullptr;
    PyObject* raw_path = nullptr;
    PyObject* query_string = nullptr;
    PyObject* client = nullptr;
    PyObject* state = nullptr;
    PyObject* root_path = nullptr;
    PyObject* v1_0 = nullptr;  // "1.0"
    PyObject* empty_bytes = nullptr;
    PyObject* empty_str = nullptr;
    // Over TLS: the scope's scheme and its tls extension.
    PyObject* scheme = nullptr;
    PyObject* https = nullptr;
    PyObject* wss = nullptr;
    PyObject* extensions = nullptr;
    PyObject* tls = nullptr;
    // The websocket scope's messages.
    PyObject* text = nullptr;
    PyObject* bytes = nullptr;
    PyObject* code = nullptr;
    PyObject* reason = nullptr;
    PyObject* subprotocol = nullptr;
    PyObject* subprotocols = nullptr;
    PyObject* ws_connect = nullptr;          // "websocket.connect"
    PyObject* ws_accept = nullptr;           // "websocket.accept"
    PyObject* ws_receive = nullptr;          // "websocket.receive"
    PyObject* ws_send = nullptr;             // "websocket.send"
    PyObject* ws_close = nullptr;            // "websocket.close"
    PyObject* ws_disconnect = nullptr;       // "websocket.disconnect"
    PyObject* ws_response_start = nullptr;   // "websocket.http.response.start"
    PyObject* ws_response_body = nullptr;    // "websocket.http.response.body"
    PyObject* disconnect_message = nullptr;  // {"type": "http.disconnect"}, copied per use
    PyObject* done = nullptr;                // the awaitable send() returns when nothing waits
    PyTypeObject* call_type = nullptr;
    PyTypeObject* ready_type = nullptr;
    PyTypeObject* guard_type = nullptr;
    PyObject* header_names[std::size(common_header_names)] = {};  // bytes, as listed
};

}  // namespace lesto::py::asgi
