// websocket_fuzz.cpp: a WebSocket session fed arbitrary client bytes in arbitrary pieces, with and
// without permessage-deflate.
//
// Input: 4 control bytes, then the wire (or, in frames mode, a script of frames).
//   [0] bit 0: permessage-deflate agreed; bit 1: small limits from [2] and [3];
//       bit 2: frames mode; bit 3: no context takeover; bit 4: windows of 8 bits
//   [1] seed of the random splits
//   [2] max_message knob (small limits: the knob itself, 0..255)
//   [3] max_frame knob (likewise)
// Frames mode reads the rest as a script of frames to send
// (scripted_client_frames in tests/support/ws_session.hpp): raw bytes rarely
// make valid masked or compressed frames, this mode reaches the messages.
//
// The session runs whole, one byte at a time (up to 1 KiB) and in two
// random splits, the second parking the session after every piece: the
// events, the output, the state and the bytes taken are the same every
// way. And always: messages are within max_message, text is UTF-8; a
// failure closes with 1002, 1007 or 1009 and a client's close reports a
// code that may be sent (or 1005); the output is server frames (unmasked,
// shortest lengths): pongs of at most 125 bytes, then at most one close,
// last, which carries the failure or echoes the client's code.
#include "fuzz_util.hpp"
#include "support/splits.hpp"
#include "support/ws_session.hpp"
#include "websocket/deflate.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using lesto::ws::Opcode;
using namespace lesto::test;

struct Input {
    std::uint8_t options = 0;
    std::uint8_t seed = 0;
    lesto::ws::Limits limits;
    std::optional<lesto::ws::DeflateParams> deflate;
    std::string wire;
};

Input read_input(const std::uint8_t* data, std::size_t size) {
    const lesto::fuzz::Split in = lesto::fuzz::split_input(data, size, 4);
    lesto::fuzz::Choices c(in.control);
    Input r;
    r.options = c.byte();
    r.seed = c.byte();
    const std::uint8_t message_knob = c.byte(), frame_knob = c.byte();
    if (r.options & 2) {
        r.limits.max_message = message_knob;
        r.limits.max_frame = frame_knob;
    }
    if (r.options & 1) {
        lesto::ws::DeflateParams p;
        p.server_no_context_takeover = p.client_no_context_takeover = (r.options & 8) != 0;
        if (r.options & 16) p.server_max_window_bits = p.client_max_window_bits = 8;
        r.deflate = p;
    }
    r.wire = (r.options & 4) ? scripted_client_frames(in.payload, r.deflate ? &*r.deflate : nullptr)
                             : std::string(in.payload);
    auto& ctx = lesto::fuzz::context();
    ctx.wire = r.wire;
    ctx.limits = "max_message=" + std::to_string(r.limits.max_message) +
                 " max_frame=" + std::to_string(r.limits.max_frame) +
                 " deflate=" + (r.deflate ? "on" : "off") + " options=" + std::to_string(r.options);
    return r;
}

std::uint16_t code_of(std::string_view close_payload) {
    if (close_payload.size() < 2) return lesto::ws::code::no_status;
    return static_cast<std::uint16_t>(static_cast<unsigned char>(close_payload[0]) << 8 |
                                      static_cast<unsigned char>(close_payload[1]));
}

void check_outcome(const WsOutcome& o, const Input& in) {
    using lesto::ws::State;
    const auto broken = lesto::fuzz::broken;
    FUZZ_CHECK(o.consumed <= in.wire.size(), show(o));
    const WsEvent* close = nullptr;
    for (const WsEvent& e : o.events) {
        if (e.type == WsEvent::closed) {
            close = &e;
            continue;
        }
        FUZZ_CHECK(e.payload.size() <= in.limits.max_message, show(e));
        if (e.type == WsEvent::text) FUZZ_CHECK(lesto::ws::is_utf8(e.payload), show(e));
    }
    const bool failed = o.state == State::failed, closed = o.state == State::closed;
    FUZZ_CHECK((close != nullptr) == (failed || closed), show(o));
    if (failed) {
        FUZZ_CHECK(close->code == 1002 || close->code == 1007 || close->code == 1009, show(o));
    } else if (closed) {
        FUZZ_CHECK(close->code == lesto::ws::code::no_status ||
                       lesto::ws::is_sendable_code(close->code),
                   show(o));
        FUZZ_CHECK(lesto::ws::is_utf8(close->payload), show(o));
    }
    const std::vector<ServerFrame> frames = read_server_frames(o.out, broken);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const ServerFrame& f = frames[i];
        FUZZ_CHECK(f.fin && f.rsv == 0, show(o));
        if (f.opcode == static_cast<std::uint8_t>(Opcode::pong)) {
            FUZZ_CHECK(f.payload.size() <= lesto::ws::max_control_payload, show(o));
            continue;
        }
        FUZZ_CHECK(f.opcode == static_cast<std::uint8_t>(Opcode::close), show(o));
        FUZZ_CHECK(i + 1 == frames.size(), "a frame after the close: " + show(o));
        FUZZ_CHECK(close != nullptr, show(o));
        if (failed) {
            FUZZ_CHECK(f.payload == close_body(close->code, close->payload), show(o));
        } else {
            FUZZ_CHECK(code_of(f.payload) == close->code && f.payload.size() <= 2, show(o));
        }
    }
    // A session that closed or failed has said so on the wire.
    if (failed || closed)
        FUZZ_CHECK(!frames.empty() &&
                       frames.back().opcode == static_cast<std::uint8_t>(Opcode::close),
                   show(o));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = read_input(data, size);
    const lesto::ws::DeflateParams* deflate = in.deflate ? &*in.deflate : nullptr;
    auto& ctx = lesto::fuzz::context();
    const auto broken = lesto::fuzz::broken;
    const auto run = [&](const std::vector<std::size_t>& ends, const char* how, bool park = false) {
        ctx.split = how;
        return run_session(in.wire, ends, in.limits, deflate, broken, park);
    };
    const WsOutcome whole =
        run(in.wire.empty() ? std::vector<std::size_t>{} : std::vector<std::size_t>{in.wire.size()},
            "whole");
    check_outcome(whole, in);
    const auto compare = [&](const std::vector<std::size_t>& ends, const char* how,
                             bool park = false) {
        const WsOutcome other = run(ends, how, park);
        FUZZ_CHECK(other == whole, "whole: " + show(whole) + "\n" + how + ": " + show(other));
    };
    if (in.wire.size() <= 1024) compare(bytewise_ends(in.wire.size()), "one byte at a time");
    compare(random_ends(in.wire.size(), in.seed), "random split (seed)");
    // Parking between pieces, as an idle connection does, changes nothing.
    compare(random_ends(in.wire.size(), in.seed + 256u), "random split (seed+256), parking", true);
    return 0;
}
