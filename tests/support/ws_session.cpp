// ws_session.cpp: building client frames, reading server frames, running a session in pieces.
#include "support/ws_session.hpp"

#include <cstring>
#include <memory>
#include <optional>

#include "support/bytes.hpp"
#include "websocket/deflate.hpp"

namespace lesto::test {
namespace {

std::string header(ws::Opcode opcode, std::size_t n, bool fin, std::uint8_t rsv, bool masked) {
    std::string h(ws::max_header_size, '\0');
    char* end = ws::put_header(h.data(), fin, rsv, opcode, n);
    if (masked) h[1] = static_cast<char>(h[1] | 0x80);
    h.resize(static_cast<std::size_t>(end - h.data()));
    return h;
}

struct Recorder final : ws::Events {
    std::vector<WsEvent>* events;
    Broken broken;
    void message(ws::Kind kind, std::string_view payload) override {
        LESTO_CHECK(broken, events->empty() || events->back().type != WsEvent::closed,
                    "a message after closed");
        events->push_back(
            {kind == ws::Kind::text ? WsEvent::text : WsEvent::binary, std::string(payload), 0});
    }
    void closed(std::uint16_t code, std::string_view reason) override {
        LESTO_CHECK(broken, events->empty() || events->back().type != WsEvent::closed,
                    "closed twice");
        events->push_back({WsEvent::closed, std::string(reason), code});
    }
};

}  // namespace

std::string client_frame(ws::Opcode opcode, std::string_view payload, bool fin, std::uint8_t rsv,
                         std::uint32_t mask) {
    std::string f = header(opcode, payload.size(), fin, rsv, true);
    char key[4];
    std::memcpy(key, &mask, 4);
    f.append(key, 4);
    const std::size_t start = f.size();
    f.append(payload);
    for (std::size_t i = 0; i < payload.size(); ++i) f[start + i] ^= key[i % 4];
    return f;
}

std::string server_frame(ws::Opcode opcode, std::string_view payload, bool fin, std::uint8_t rsv) {
    return header(opcode, payload.size(), fin, rsv, false) + std::string(payload);
}

std::string scripted_client_frames(std::string_view script, const ws::DeflateParams* deflate) {
    std::optional<ws::Deflater> compressor;
    if (deflate) {
        // The client compresses within the client's window.
        ws::DeflateParams client = *deflate;
        client.server_max_window_bits = deflate->client_max_window_bits;
        client.server_no_context_takeover = deflate->client_no_context_takeover;
        compressor.emplace(client);
    }
    std::size_t at = 0;
    const auto next = [&]() -> std::uint8_t {
        return at < script.size() ? static_cast<std::uint8_t>(script[at++]) : 0;
    };
    std::string wire;
    for (std::uint32_t key = 0x01020304; at < script.size(); key = key * 2654435761u + 1) {
        const std::uint8_t b0 = next();
        const std::uint8_t len = next();
        std::string payload;
        for (std::size_t i = 0; i < (len & 0x7fu) && at < script.size(); ++i)
            payload += static_cast<char>(next());
        if ((len & 0x80) && compressor) {
            Buffer z;
            if (!compressor->compress(payload, z)) continue;
            payload = std::string(z.view());
        }
        wire += client_frame(static_cast<ws::Opcode>(b0 & 0x0f), payload, (b0 & 0x80) != 0,
                             static_cast<std::uint8_t>((b0 >> 4) & 7), key);
    }
    return wire;
}

std::string close_body(std::uint16_t code, std::string_view reason) {
    std::string s(2, '\0');
    s[0] = static_cast<char>(code >> 8);
    s[1] = static_cast<char>(code & 0xff);
    return s + std::string(reason);
}

std::vector<ServerFrame> read_server_frames(std::string_view out, Broken broken) {
    std::vector<ServerFrame> frames;
    while (!out.empty()) {
        ws::HeaderReader reader;
        ws::FrameHeader h;
        ws::Failure error;
        std::size_t used = 0;
        const auto status = reader.read(out, used, h, error);
        LESTO_CHECK(broken, status == ws::HeaderReader::Status::complete,
                    "server frame header: " + escape(out.substr(0, 14)) + " " +
                        std::string(error.reason));
        LESTO_CHECK(broken, !h.masked, "a masked server frame");
        out.remove_prefix(used);
        LESTO_CHECK(broken, h.length <= out.size(), "a server frame cut short");
        const auto n = static_cast<std::size_t>(h.length);
        frames.push_back({h.fin, h.rsv, h.opcode, std::string(out.substr(0, n))});
        out.remove_prefix(n);
    }
    return frames;
}

std::string show(const WsEvent& e) {
    switch (e.type) {
    case WsEvent::text:
        return "text \"" + escape(e.payload) + "\"";
    case WsEvent::binary:
        return "binary \"" + escape(e.payload) + "\"";
    case WsEvent::closed:
        break;
    }
    return "closed " + std::to_string(e.code) + " \"" + escape(e.payload) + "\"";
}

std::string show(const WsOutcome& o) {
    static constexpr const char* states[] = {"open", "closing", "closed", "failed"};
    return "state " + std::string(states[static_cast<int>(o.state)]) + ", consumed " +
           std::to_string(o.consumed) + ", out \"" + escape(o.out) + "\"" + show(o.events);
}

WsOutcome run_session(std::string_view wire, const std::vector<std::size_t>& ends,
                      const ws::Limits& limits, const ws::DeflateParams* deflate, Broken broken,
                      bool park) {
    WsOutcome o;
    ws::Session session(limits, deflate);
    Buffer out;
    Recorder rec;
    rec.events = &o.events;
    rec.broken = broken;
    std::size_t start = 0;
    for (const std::size_t end : ends) {
        const std::size_t n = end - start;
        auto piece = std::make_unique<char[]>(n);
        std::memcpy(piece.get(), wire.data() + start, n);
        std::size_t used = session.feed({piece.get(), n}, rec, out);
        LESTO_CHECK(broken, used <= n, std::to_string(used));
        if (session.deferred()) {
            // Stopped before a frame that fails, after a message: the
            // connection feeds the rest once the app has answered; so here.
            LESTO_CHECK(broken, used < n && !session.done(), "deferred, yet " + show(o));
            const std::size_t more = session.feed({piece.get() + used, n - used}, rec, out);
            LESTO_CHECK(broken, !session.deferred(), "deferred twice: " + show(o));
            used += more;
        }
        o.consumed += used;
        if (used < n) {
            LESTO_CHECK(broken, session.done(),
                        "stopped at " + std::to_string(o.consumed) + " while " + show(o));
            break;
        }
        if (session.done()) break;
        if (park) session.park();
        start = end;
    }
    LESTO_CHECK(broken,
                session.done() == (!o.events.empty() && o.events.back().type == WsEvent::closed),
                "done() and closed disagree: " + show(o));
    o.state = session.state();
    // A failure discards what came with it, and the session reads nothing
    // after it: the whole wire is gone, however it was cut.
    if (o.state == ws::State::failed) o.consumed = wire.size();
    o.out = std::string(out.view());
    return o;
}

}  // namespace lesto::test
