// timeouts.hpp: how long the socket side waits for a client, in one struct, and their names.
#pragma once

#include <iterator>
#include <string_view>

namespace lesto::net {

/// Seconds; enforced by `Server::tick`, so with a one-second tick a timeout
/// fires between N and N+1 seconds after its start. What each member
/// bounds: `timeout_fields`.
struct Timeouts {
    int header = 10;
    int body = 30;
    int keep_alive = 60;  // japronto's reaper default
    int write = 30;
    int linger = 2;
    int websocket_ping = 20;
    int tls_handshake = 10;
};

/// A member of Timeouts as configuration names it.
struct TimeoutField {
    std::string_view name;
    int Timeouts::*member;
    std::string_view doc;
};

/// Every member of Timeouts, each described once: the binding takes the
/// names of `Application(timeouts=...)` and their help from here.
inline constexpr TimeoutField timeout_fields[] = {
    {"header", &Timeouts::header,
     "from the first byte of a request to the end of its head; then 408"},
    {"body", &Timeouts::body, "between two reads of a body that is still arriving; then 408"},
    {"keep_alive", &Timeouts::keep_alive, "an idle keep-alive connection; then it is closed"},
    {"write", &Timeouts::write, "without any progress sending owed output; then closed"},
    {"linger", &Timeouts::linger,
     "after a closing response, for the client to close first; then closed"},
    {"websocket_ping", &Timeouts::websocket_ping,
     "a quiet WebSocket is pinged after this long, and closed (1011) if still silent as long "
     "again; 0: never"},
    {"tls_handshake", &Timeouts::tls_handshake,
     "from accepting a connection on a TLS listener to the end of its handshake; then closed"},
};
static_assert(sizeof(Timeouts) == std::size(timeout_fields) * sizeof(int),
              "every member of Timeouts needs its entry in timeout_fields");

}  // namespace lesto::net
