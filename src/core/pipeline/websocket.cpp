// websocket.cpp: a connection after its request upgraded: WebSocket frames both ways.
#include "pipeline/connection.hpp"

#include "response/status.hpp"
#include "websocket/handshake.hpp"
#include "websocket/session.hpp"

#include <algorithm>

namespace lesto {

namespace {

// How far input is read ahead of the session, which buffers a frame cut short itself.
constexpr std::size_t websocket_read_ahead = std::size_t{64} * 1024;

/// The session's events, handed to the dispatcher under the WebSocket's token.
class ToDispatcher final : public ws::Events {
public:
    ToDispatcher(Dispatcher& d, void* token) : dispatcher_(&d), token_(token) {}
    void message(ws::Kind kind, std::string_view payload) override {
        dispatcher_->ws_message(token_, kind == ws::Kind::text, payload);
    }
    void closed(std::uint16_t code, std::string_view reason) override {
        dispatcher_->ws_closed(token_, code, reason);
    }

private:
    Dispatcher* dispatcher_;
    void* token_;
};

}  // namespace

void Connection::expect_upgrade(std::uint64_t seq) noexcept {
    if (seq + 1 != next_seq_ || upgrading_) return;  // only the request being dispatched
    upgrading_ = true;
    ws_seq_ = seq;
    // Answered any other way, the connection closes after the answer: what
    // the client sent behind its handshake may be frames, not requests.
    last_seq_ = no_more_ ? std::min(last_seq_, seq) : seq;
    no_more_ = true;
}

OpenStatus Connection::accept_websocket(std::uint64_t seq, const WebSocketAccept& reply,
                                        void* token, std::string& why) {
    if (!upgrading_ || seq != ws_seq_ || ws_) return OpenStatus::gone;
    OpenBody body;
    body.kind = OpenBody::Kind::websocket;
    body.token = token;
    OpenStatus status = OpenStatus::gone;
    answer_by(
        seq,
        [&](Buffer& out, bool) {
            const ws::AcceptKey accept = ws::accept_key(reply.key);
            why = ws::render_accept(out, {accept.data(), accept.size()}, reply.subprotocol,
                                    reply.deflate, reply.headers);
            if (!why.empty()) {
                http::write_error(out, 500, http::reason_phrase(500), date_->value(), false);
                status = OpenStatus::refused;
                return false;
            }
            status = OpenStatus::open;
            return true;
        },
        &body);
    if (status == OpenStatus::open) {
        ws::Limits bounds;
        bounds.max_message = limits_->max_websocket_message;
        bounds.max_frame = limits_->max_websocket_message;
        ws_ = std::make_unique<ws::Session>(bounds, reply.deflate);
    }
    return status;
}

ws::Session* Connection::websocket_of(std::uint64_t seq, Buffer*& bytes, OpenBody*& body) noexcept {
    if (!ws_ || seq != ws_seq_) return nullptr;
    body = open_body(seq, bytes);
    return body && body->kind == OpenBody::Kind::websocket ? ws_.get() : nullptr;
}

StreamStatus Connection::ws_send(std::uint64_t seq, bool text, std::string_view payload) {
    Buffer* bytes = nullptr;
    OpenBody* body = nullptr;
    ws::Session* session = websocket_of(seq, bytes, body);
    if (!session || session->state() != ws::State::open) return StreamStatus::gone;
    session->send(text ? ws::Kind::text : ws::Kind::binary, payload, *bytes);
    if (room_for_stream(*bytes)) return StreamStatus::ok;
    body->waiting = true;
    return StreamStatus::full;
}

void Connection::ws_close(std::uint64_t seq, std::uint16_t code, std::string_view reason) {
    Buffer* bytes = nullptr;
    OpenBody* body = nullptr;
    ws::Session* session = websocket_of(seq, bytes, body);
    if (session && session->state() == ws::State::open) session->close(code, reason, *bytes);
}

bool Connection::ws_keepalive(bool peer_silent) {
    if (!ws_ || open_.kind != OpenBody::Kind::websocket) return false;
    if (ws_->state() != ws::State::open) {
        // Our close went unanswered for a whole interval: give up on the
        // handshake, as on a lost connection (1006).
        constexpr std::string_view why = "the peer did not answer the close handshake";
        dispatcher_->ws_closed(open_.token, 1006, why);
        end_websocket(BodyEnd::failed, why);
        return false;
    }
    if (!peer_silent) {
        // Quiet for a whole interval: an idle connection keeps only what it
        // cannot make again (bench/README.md, idle WebSockets).
        ws_->park();
        ws_->ping({}, out_);
        return true;
    }
    constexpr std::string_view why = "keepalive ping timeout";
    ws_->close(1011, why, out_);
    dispatcher_->ws_closed(open_.token, 1011, why);
    end_websocket(BodyEnd::failed, "the peer did not answer a ping");
    return false;
}

bool Connection::websocket_wants_input() const noexcept {
    if (!ws_ || open_.kind != OpenBody::Kind::websocket || peer_closed_ || ws_held_) return false;
    if (ws_->state() == ws::State::closed || ws_->state() == ws::State::failed) return false;
    // Replies (pongs) pile up against a client that sends and does not read.
    if (out_.size() >= limits_->max_output_buffer) return false;
    return in_.size() < websocket_read_ahead;
}

bool Connection::feed_websocket() {
    // The 101 waits behind earlier answers: frames wait in the input meanwhile.
    if (!ws_ || open_.kind != OpenBody::Kind::websocket) return false;
    if (draining_ && ws_->state() == ws::State::open) {
        ws_->close(1001, "the server is stopping", out_);
    }
    if (!in_.empty()) {
        ToDispatcher events(*dispatcher_, open_.token);
        const std::size_t used = ws_->feed({in_.data(), in_.size()}, events, out_);
        in_.consume(used);
        if (ws_->deferred()) {
            dispatcher_->serve_later(id_);
            return false;
        }
    }
    if (ws_->done()) {
        end_websocket(BodyEnd::sent, {});
    } else if (peer_closed_) {
        // The TCP connection ended without a close handshake (RFC 6455
        // 7.1.5: 1006): the app hears it here rather than when the socket
        // layer drops the connection.
        constexpr std::string_view why = "the connection was lost";
        dispatcher_->ws_closed(open_.token, 1006, why);
        end_websocket(BodyEnd::failed, why);
    }
    return false;
}

void Connection::end_websocket(BodyEnd how, std::string_view reason) {
    if (open_.kind != OpenBody::Kind::websocket) return;
    ws_held_ = false;
    finish_open(how, reason);
}

}  // namespace lesto
