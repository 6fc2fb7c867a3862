// session.hpp: one WebSocket connection's protocol state (RFC 6455 5-7, RFC 7692): bytes in,
// messages and replies out. Like the HTTP connection, it never touches a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "buffer/buffer.hpp"
#include "websocket/close.hpp"
#include "websocket/extensions.hpp"
#include "websocket/frame.hpp"
#include "websocket/utf8.hpp"

namespace lesto::ws {

class Inflater;
class Deflater;

enum class Kind : std::uint8_t { text, binary };

/// Size bounds of what a client sends; a frame or message over them is
/// answered with close 1009 before any of it is buffered (a compressed
/// message: as soon as it inflates past the bound).
struct Limits {
    std::size_t max_message = std::size_t{16} << 20;
    std::size_t max_frame = std::size_t{16} << 20;
};

enum class State : std::uint8_t {
    open,     ///< messages flow both ways
    closing,  ///< the server sent its close and waits for the client's
    closed,   ///< the close handshake is complete
    failed,   ///< the session failed the connection (failure() says why)
};

/// What a session reports, implemented by the connection. Called from
/// inside Session::feed; the views are valid during the call only.
class Events {
public:
    /// A whole message: valid UTF-8 when `kind` is text.
    virtual void message(Kind kind, std::string_view payload) = 0;
    /// The connection's close: the client's close code (no_status, 1005,
    /// when its close frame had none) and reason, or the session's failure
    /// code and reason. Once per session.
    virtual void closed(std::uint16_t code, std::string_view reason) = 0;

protected:
    ~Events() = default;
};

/// The protocol state of one connection after the handshake: reads the
/// client's frames (masked, possibly fragmented, possibly compressed) and
/// writes the server's (unmasked). Automatic replies (pong, the close
/// reply, the close that fails the connection) go into the output buffer
/// given to `feed`; the application's messages into the one given to
/// `send`. Failures close with 1002 (protocol), 1007 (bad UTF-8) or 1009
/// (too big), and a reason in words.
class Session {
public:
    /// `deflate`: the permessage-deflate agreement, or null when none.
    Session(const Limits& limits, const DeflateParams* deflate);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// Consumes received bytes, unmasking them in place, and returns how
    /// many it took: all of them (a frame cut short is kept, or buffered as
    /// far as it goes; on a failure the rest is discarded), except after the
    /// client's close frame, where it stops. Once done(), it takes nothing.
    ///
    /// A frame whose header fails, after a message was delivered in the same
    /// call, is not read: the call returns where it starts and `deferred()`
    /// says so. The caller lets the application answer what it got, then
    /// feeds the rest, and the failure comes then: answers to the messages
    /// before a bad frame go out before the close (Autobahn's strict
    /// behaviour, cases 3.2, 4.1.3, 5.15 and kin).
    std::size_t feed(std::span<char> in, Events& events, Buffer& out);
    /// The last `feed` stopped before a frame that will fail (see `feed`).
    bool deferred() const noexcept { return deferred_; }

    /// Sends one message as one frame, compressed when deflate was agreed.
    /// False when the session is not open (nothing is written).
    bool send(Kind kind, std::string_view payload, Buffer& out);
    /// Sends a ping (for idle timeouts): false when not open or the payload is over 125 bytes.
    bool ping(std::string_view payload, Buffer& out);
    /// The connection has been quiet a while: give back what the next
    /// message can make again. zlib's streams keep only their windows'
    /// bytes (with context takeover zlib holds some 100 KiB per connection,
    /// the windows at most 64 KiB of it, and often far less). Not while a
    /// message is half read.
    void park() noexcept;
    /// Starts the close handshake: writes a close frame with `code` (or
    /// none for code::no_status with no reason) and `reason`, then waits for
    /// the client's. False, writing nothing, when not open, when `code`
    /// may not be sent (is_sendable_code) or the reason is not UTF-8 or
    /// over 123 bytes.
    bool close(std::uint16_t code, std::string_view reason, Buffer& out);

    State state() const noexcept { return state_; }
    /// The TCP connection may be closed once the output is written: the
    /// close handshake is complete (the server closes first, 7.1.1) or the
    /// session failed. After a failure the client may still be sending:
    /// shut down the writing side and drain a moment before closing, so
    /// that the close frame is not lost to a reset.
    bool done() const noexcept { return state_ == State::closed || state_ == State::failed; }
    /// Why the session failed; no failure otherwise.
    Failure failure() const noexcept { return failure_; }

private:
    Failure check_header() const noexcept;
    void begin_frame() noexcept;
    void on_payload(char* p, std::size_t n, bool whole, bool last, Events& events, Buffer& out);
    void on_data(char* p, std::size_t n, bool whole, bool last, Events& events, Buffer& out);
    void on_compressed(std::string_view piece, bool last, Events& events, Buffer& out);
    void on_control(std::string_view payload, Events& events, Buffer& out);
    void deliver(std::string_view payload, Events& events);
    void fail(Failure f, Events& events, Buffer& out);

    Limits limits_;
    std::optional<DeflateParams> deflate_;
    State state_ = State::open;
    Failure failure_;

    // The frame being read.
    HeaderReader reader_;
    FrameHeader frame_;
    std::uint64_t done_ = 0;       // payload bytes of it handled
    std::uint64_t delivered_ = 0;  // messages delivered, ever
    bool in_frame_ = false;        // its header is read, its payload not all
    bool deferred_ = false;        // the last feed stopped before a failing frame

    // The data message being read: its first frame came, its last not yet.
    bool in_message_ = false;
    bool compressed_ = false;
    Kind kind_ = Kind::binary;
    std::uint64_t message_size_ = 0;  // payload bytes of an uncompressed message so far
    Utf8Validator utf8_;
    Buffer message_;  // a message in pieces, assembled (or inflated)

    // A control frame cut short, kept until its end: a string, so that no
    // idle WebSocket holds the 125 bytes a control frame may take.
    std::string control_;

    std::unique_ptr<Inflater> inflater_;  // made at the first compressed message
    std::unique_ptr<Deflater> deflater_;  // made at the first message sent
    Buffer compressed_out_;               // a message sent, compressed, before its header
};

}  // namespace lesto::ws
