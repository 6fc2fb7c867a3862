// ws_session.hpp: client frames built, server frames read back, and a WebSocket session run over
// a wire in pieces, for the GoogleTest suite and the fuzz target.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/check.hpp"
#include "websocket/session.hpp"

namespace lesto::test {

/// The masking key of client_frame unless one is given: bytes 37 fa 21 3d (RFC 6455 5.7).
inline constexpr std::uint32_t default_mask = 0x3d21fa37;

/// A frame as a client sends it: masked with `mask` (the key's bytes as in
/// memory), the shortest length encoding.
std::string client_frame(ws::Opcode opcode, std::string_view payload, bool fin = true,
                         std::uint8_t rsv = 0, std::uint32_t mask = default_mask);
/// A frame as the server sends it: unmasked.
std::string server_frame(ws::Opcode opcode, std::string_view payload, bool fin = true,
                         std::uint8_t rsv = 0);
/// Client frames from a script, for fuzz targets (raw bytes rarely make
/// valid masked or compressed frames): each frame is one byte of FIN, RSV
/// and opcode as on the wire, one length byte (bit 7: compress the payload
/// as a whole message with a client deflater when `deflate` is given, bits
/// 0-6: its length), the payload; each masked with a key of its own.
std::string scripted_client_frames(std::string_view script, const ws::DeflateParams* deflate);
/// A close frame's payload: the code, big-endian, then the reason.
std::string close_body(std::uint16_t code, std::string_view reason = {});

/// One frame read back from the server's output.
struct ServerFrame {
    bool fin = false;
    std::uint8_t rsv = 0;
    std::uint8_t opcode = 0;
    std::string payload;
    bool operator==(const ServerFrame&) const = default;
};
/// The server's output as frames; hands `broken` a frame that is masked,
/// cut short or not in the shortest length form.
std::vector<ServerFrame> read_server_frames(std::string_view out, Broken broken);

/// What a session reported, in order.
struct WsEvent {
    enum Type : std::uint8_t { text, binary, closed } type = text;
    std::string payload;     ///< a message's bytes, or the close reason
    std::uint16_t code = 0;  ///< closed only
    bool operator==(const WsEvent&) const = default;
};
std::string show(const WsEvent& e);

/// Everything a run of a session gave.
struct WsOutcome {
    std::vector<WsEvent> events;
    std::string out;  ///< the bytes the session wrote
    ws::State state = ws::State::open;
    std::size_t consumed = 0;
    bool operator==(const WsOutcome&) const = default;
};
std::string show(const WsOutcome& o);

/// A fresh session fed `wire` in pieces ending at `ends` (splits.hpp), each
/// piece a heap block of its own; feeding stops where the session stops.
/// Checks as it goes (handing `broken` what breaks): every byte is taken
/// unless the session stopped, `closed` comes once and last, and exactly
/// when the session is done. `park`: the session parks after every piece,
/// as an idle connection's does, which must change nothing it reports.
WsOutcome run_session(std::string_view wire, const std::vector<std::size_t>& ends,
                      const ws::Limits& limits, const ws::DeflateParams* deflate, Broken broken,
                      bool park = false);

}  // namespace lesto::test
