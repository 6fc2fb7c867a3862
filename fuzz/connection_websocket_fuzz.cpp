// connection_websocket_fuzz.cpp: a Connection that upgrades to a WebSocket, driven by a scripted
// application and socket: the 101 in order, frames both ways, holding, closing, draining, pings.
//
// Input: 4 control bytes, a script, then the client's frames.
//   [0] bit 0: a plain GET goes ahead of the handshake (pipelined); bit 1:
//       the app accepts later (a script move), not at dispatch; bit 2:
//       small limits (max_websocket_message from [1], a small output bound
//       and high-water mark); bit 3: frames mode (the rest is a script of
//       frames, scripted_client_frames); bit 4: permessage-deflate agreed
//   [1] max_websocket_message knob (small limits)
//   [2] seed of nothing yet (kept for layout)
//   [3] script length L, then L script bytes (read cyclically; none: all 0)
// The script plays the socket (how many bytes each read brings, how much
// output is sent, EOF early or at the end) and the application (accept,
// send a message, close, hold and let go, a keep-alive ping, a graceful
// drain). A connection that asks to be served again (serve_later) is.
//
// Checked: the plain answer leaves before the 101 and nothing else does;
// after the 101 the output is server frames (unmasked, shortest lengths,
// RSV1 only on compressed messages), nothing after a close frame; the
// messages the app gets are a prefix of what a bare ws::Session makes of
// the same frames (tests/support/ws_session.hpp), and when the app did
// nothing to end the WebSocket and every byte was read, the close it hears
// is the session's (or 1006 when the peer just left); ws_closed comes at
// most once and nothing after it; the messages the app sent go out whole
// and in order; body_finished comes exactly once for an accepted
// WebSocket (or abandon for one never accepted), after ws_closed; a closed
// WebSocket's connection is finished; no fd is left open.
#include "fuzz_util.hpp"
#include "pipeline/connection.hpp"
#include "support/ws_session.hpp"
#include "websocket/deflate.hpp"
#include "websocket/handshake.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using lesto::BodyEnd;
using lesto::Connection;
using lesto::OpenStatus;
using lesto::RequestRef;
using lesto::StreamStatus;
using lesto::ws::Opcode;
using namespace lesto::test;

constexpr std::size_t fixed_control = 4;
constexpr int max_steps = 1000;
constexpr std::string_view plain = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view handshake =
    "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

struct Input {
    std::uint8_t options = 0;
    lesto::ConnectionLimits limits;
    std::optional<lesto::ws::DeflateParams> deflate;
    std::string_view script;
    std::string frames;  ///< the client's bytes after its handshake
};

Input read_input(const std::uint8_t* data, std::size_t size) {
    const lesto::fuzz::Split in = lesto::fuzz::split_input(data, size, fixed_control);
    lesto::fuzz::Choices c(in.control);
    Input r;
    r.options = c.byte();
    const std::uint8_t message_knob = c.byte();
    (void)c.byte();
    const std::size_t script_len = c.byte();
    r.script = in.payload.substr(0, std::min(script_len, in.payload.size()));
    const std::string_view rest = in.payload.substr(r.script.size());
    if (r.options & 4) {
        r.limits.max_websocket_message = message_knob;
        r.limits.max_output_buffer = 512;
        r.limits.max_stream_buffer = 128;
    }
    if (r.options & 16) r.deflate.emplace();
    r.frames = (r.options & 8) ? scripted_client_frames(rest, r.deflate ? &*r.deflate : nullptr)
                               : std::string(rest);
    auto& ctx = lesto::fuzz::context();
    ctx.wire = r.frames;
    ctx.limits = "options=" + std::to_string(r.options) +
                 " max_websocket_message=" + std::to_string(r.limits.max_websocket_message);
    return r;
}

/// The application: answers the plain request with its path, and takes the
/// handshake (accepting it at once or when the script says).
class App final : public lesto::Dispatcher {
public:
    explicit App(const Input& in) : in_(in) {}

    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& r) override {
        FUZZ_CHECK(!closed_, "a dispatch after the WebSocket closed");
        if (!lesto::ws::wants_websocket(r.head)) {
            FUZZ_CHECK(seq == 0 && (in_.options & 1), "an unexpected plain request");
            plain_dispatched = true;
            lesto::http::ResponseSpec spec;
            spec.body = r.head.path;
            spec.content_type = "text/plain";
            conn.respond(seq, spec);
            return;
        }
        lesto::ws::Handshake hs;
        FUZZ_CHECK(!lesto::ws::read_handshake(r.head, {.enabled = false}, hs), "refused");
        conn.expect_upgrade(seq);
        conn.set_token(seq, &token);
        ws_seq = seq;
        dispatched = true;
        if (!(in_.options & 2)) accept(conn);
    }
    void accept(Connection& conn) {
        if (!dispatched || accepted) return;
        std::string why;
        const OpenStatus s = conn.accept_websocket(
            ws_seq,
            {.key = "dGhlIHNhbXBsZSBub25jZQ==", .deflate = in_.deflate ? &*in_.deflate : nullptr},
            &token, why);
        FUZZ_CHECK(s == OpenStatus::open, why);
        accepted = true;
    }
    void abandon(void* t) noexcept override {
        FUZZ_CHECK(t == &token && !accepted && ends == 0, "abandon of an accepted WebSocket");
        ++ends;
    }
    void body_finished(void* t, BodyEnd, std::string_view) noexcept override {
        FUZZ_CHECK(t == &token && accepted, "body_finished of what was not accepted");
        FUZZ_CHECK(++ends == 1, "body_finished twice");
        FUZZ_CHECK(closed_, "body_finished before ws_closed");
    }
    void ws_message(void* t, bool text, std::string_view payload) noexcept override {
        FUZZ_CHECK(t == &token && !closed_, "a message after closed");
        got.push_back({text ? WsEvent::text : WsEvent::binary, std::string(payload), 0});
    }
    void ws_closed(void* t, std::uint16_t code, std::string_view reason) noexcept override {
        FUZZ_CHECK(t == &token && !closed_, "closed twice");
        closed_ = true;
        got.push_back({WsEvent::closed, std::string(reason), code});
    }
    void serve_later(std::uint64_t) noexcept override { later = true; }
    bool closed() const noexcept { return closed_; }

    int token = 0;
    std::uint64_t ws_seq = 0;
    bool plain_dispatched = false, dispatched = false, accepted = false, later = false;
    int ends = 0;
    std::vector<WsEvent> got;

private:
    const Input& in_;
    bool closed_ = false;
};

class Driver {
public:
    Driver(const Input& in, App& app, Connection& conn) : in_(in), app_(app), conn_(conn) {
        if (in.options & 1) wire_ += plain;
        wire_ += handshake;
        wire_ += in.frames;
    }

    void run() {
        lesto::fuzz::Choices script(in_.script);
        for (int step = 0; step < max_steps; ++step) {
            if (app_.later) {
                app_.later = false;
                process();
            }
            const std::uint8_t op = script.cycle();
            switch (op % 10) {
            case 0:
            case 1:
                if (conn_.wants_input() && pos_ < wire_.size()) read(script.cycle());
                process();
                break;
            case 2:
                take(script.cycle());
                break;
            case 3:
                send(script.cycle());
                break;
            case 4:
                if (app_.accepted && (op & 0x80)) {
                    conn_.ws_close(app_.ws_seq, 4000 + (op >> 4), "bye");
                    interfered_ = true;
                }
                break;
            case 5:
                conn_.ws_hold(!(op & 0x10));
                break;
            case 6:
                if (app_.accepted && (op & 0x80)) {
                    conn_.ws_keepalive((op & 0x40) != 0);
                    interfered_ = true;
                }
                break;
            case 7:
                if ((op & 0xc0) == 0xc0) {
                    conn_.stop_reading();
                    interfered_ = true;
                    process();
                }
                break;
            case 8:
                app_.accept(conn_);
                process();
                break;
            case 9:
                if ((op & 0xf0) == 0xf0 && !eof_) {
                    conn_.input_closed();  // the peer leaves, maybe early
                    eof_ = true;
                    process();
                }
                break;
            }
            if (pos_ == wire_.size() && step > 64) break;
        }
        finish();
    }

    const std::string& log() const noexcept { return log_; }
    bool read_everything() const noexcept { return pos_ == wire_.size(); }
    bool interfered() const noexcept { return interfered_; }
    const std::vector<std::string>& sent() const noexcept { return sent_; }

private:
    void read(std::uint8_t amount) {
        const std::size_t n = std::min<std::size_t>(wire_.size() - pos_, amount % 64 + 1u);
        const std::span<char> space = conn_.input_space(n);
        std::memcpy(space.data(), wire_.data() + pos_, n);
        conn_.input_commit(n);
        pos_ += n;
    }
    void process() {
        conn_.process();
        conn_.release_idle_buffers();
    }
    void take(std::uint8_t amount) {
        const std::size_t n =
            std::min<std::size_t>(conn_.output().size(), amount == 0 ? SIZE_MAX : amount * 8u);
        log_ += conn_.output().view().substr(0, n);
        conn_.output_sent(n);
        if (n) process();  // room again: a stream told to wait may go on
    }
    void send(std::uint8_t how) {
        if (!app_.accepted || app_.closed()) return;
        std::string message(how % 32u, static_cast<char>('a' + how % 26));
        const StreamStatus s = conn_.ws_send(app_.ws_seq, (how & 0x80) != 0, message);
        FUZZ_CHECK(s == StreamStatus::ok || s == StreamStatus::full || s == StreamStatus::gone,
                   "ws_send: " + std::to_string(static_cast<int>(s)));
        if (s != StreamStatus::gone) sent_.push_back(std::move(message));
    }
    /// The app accepts if it has not, the client sends the rest and leaves,
    /// and everything is sent.
    void finish() {
        app_.accept(conn_);
        conn_.ws_hold(false);
        for (int step = 0; step < max_steps; ++step) {
            app_.later = false;
            const std::size_t before = pos_;
            if (conn_.wants_input() && pos_ < wire_.size()) read(63);
            process();
            take(0);
            if (pos_ == before && !app_.later) break;
        }
        if (!eof_) {
            conn_.input_closed();
            eof_ = true;
        }
        process();
        take(0);
    }

    const Input& in_;
    App& app_;
    Connection& conn_;
    std::string wire_;
    std::size_t pos_ = 0;
    std::string log_;
    std::vector<std::string> sent_;
    bool eof_ = false;
    bool interfered_ = false;
};

/// The output: the plain answer if it was asked, the 101, then frames; checks them.
void check_output(const Driver& d, const Input& in, const App& app) {
    std::string_view out = d.log();
    // A drain before the requests arrived ends the connection with no answer.
    if (app.plain_dispatched) {
        const auto end = out.find("\r\n\r\n");
        FUZZ_CHECK(end != std::string_view::npos && out.starts_with("HTTP/1.1 200 OK\r\n"),
                   std::string(out.substr(0, 200)));
        const auto body_at = end + 4;
        FUZZ_CHECK(out.substr(body_at, 2) == "/a", std::string(out.substr(0, 200)));
        out.remove_prefix(body_at + 2);
    }
    if (!app.accepted) {
        FUZZ_CHECK(out.empty(), "output for a WebSocket never accepted");
        return;
    }
    FUZZ_CHECK(out.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), std::string(out));
    const auto head_end = out.find("\r\n\r\n");
    FUZZ_CHECK(head_end != std::string_view::npos, "the 101's head has no end");
    out.remove_prefix(head_end + 4);
    const std::vector<ServerFrame> frames = read_server_frames(out, lesto::fuzz::broken);
    std::vector<std::string> data;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const ServerFrame& f = frames[i];
        const auto op = static_cast<Opcode>(f.opcode);
        FUZZ_CHECK(f.fin, "a fragmented server frame");
        if (op == Opcode::text || op == Opcode::binary) {
            FUZZ_CHECK(f.rsv == 0 || (in.deflate && f.rsv == lesto::ws::rsv1), "rsv on a message");
            data.push_back(f.payload);
            continue;
        }
        FUZZ_CHECK(f.rsv == 0, "rsv on a control frame");
        FUZZ_CHECK(op == Opcode::ping || op == Opcode::pong || op == Opcode::close,
                   "opcode " + std::to_string(f.opcode));
        if (op == Opcode::close) FUZZ_CHECK(i + 1 == frames.size(), "a frame after the close");
    }
    // Compressed messages are checked by their count; plain ones byte for byte.
    FUZZ_CHECK(data.size() == d.sent().size(), std::to_string(data.size()) + " messages out of " +
                                                   std::to_string(d.sent().size()) + " sent");
    if (!in.deflate) FUZZ_CHECK(data == d.sent(), "the messages sent are not the ones out");
}

void check_events(const Driver& d, const Input& in, const App& app) {
    if (!app.accepted) return;
    std::vector<std::size_t> ends;
    if (!in.frames.empty()) ends.push_back(in.frames.size());
    lesto::ws::Limits bounds;
    bounds.max_message = bounds.max_frame = in.limits.max_websocket_message;
    const WsOutcome ref = run_session(in.frames, ends, bounds, in.deflate ? &*in.deflate : nullptr,
                                      lesto::fuzz::broken);
    std::vector<WsEvent> messages = app.got;
    std::optional<WsEvent> close;
    if (!messages.empty() && messages.back().type == WsEvent::closed) {
        close = messages.back();
        messages.pop_back();
    }
    FUZZ_CHECK(messages.size() <= ref.events.size(),
               show(app.got) + "\nsession:" + show(ref.events));
    for (std::size_t i = 0; i < messages.size(); ++i)
        FUZZ_CHECK(messages[i] == ref.events[i], show(app.got) + "\nsession:" + show(ref.events));
    FUZZ_CHECK(close.has_value(), "the WebSocket ended without ws_closed: " + show(app.got));
    if (!d.interfered() && d.read_everything()) {
        const bool ref_closed = !ref.events.empty() && ref.events.back().type == WsEvent::closed;
        if (ref_closed) {
            FUZZ_CHECK(*close == ref.events.back(),
                       show(app.got) + "\nsession:" + show(ref.events));
        } else {
            FUZZ_CHECK(close->code == 1006, show(app.got));
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = read_input(data, size);
    lesto::http::DateCache date;
    App app(in);
    {
        Connection conn(1, in.limits, app, date);
        Driver driver(in, app, conn);
        driver.run();
        check_output(driver, in, app);
        check_events(driver, in, app);
        if (app.accepted) {
            FUZZ_CHECK(conn.finished(), "a closed WebSocket's connection is not finished");
            FUZZ_CHECK(app.ends == 1, "body_finished did not come");
        }
    }
    FUZZ_CHECK(app.ends == (app.dispatched ? 1 : 0), "the token ended " + std::to_string(app.ends));
    return 0;
}
