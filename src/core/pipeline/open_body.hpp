// open_body.hpp: a response body that follows its head later: a file, or a stream of pieces.
#pragma once

#include <cstdint>

#include "response/writer.hpp"

namespace lesto {

/// The body of a response whose head is written first and whose bytes come
/// after, in the connection's own time: a file, sent by the socket layer
/// with sendfile(2) (no copy, no Python), or a stream, whose producer gives
/// pieces to `Connection::stream_write` while the connection has room.
/// Every front-end's streamed or file response is one of these. A
/// WebSocket is one too: its 101 head goes first, then frames both ways
/// until the close handshake ends the "body" (and the connection).
struct OpenBody {
    enum class Kind : std::uint8_t { none, stream, file, websocket };
    Kind kind = Kind::none;
    http::Framing framing = http::Framing::whole;
    /// Framing::length: bytes still owed. A stream may not give more, and
    /// must give them all before it ends.
    std::uint64_t remaining = 0;
    int fd = -1;               ///< file: owned by the connection from `respond_open` on
    std::uint64_t offset = 0;  ///< file: the next byte to send
    /// The dispatcher's, handed back to `Dispatcher::body_writable` and
    /// `body_finished`.
    void* token = nullptr;
    bool waiting = false;  ///< stream, websocket: its producer waits for room (`body_writable`)
};

/// How an open body ended, for `Dispatcher::body_finished`.
enum class BodyEnd : std::uint8_t {
    sent,       ///< every byte was handed to the socket
    failed,     ///< it could not be completed (see the reason); the connection closes
    abandoned,  ///< the connection closed first (the client left, or a stop)
};

}  // namespace lesto
