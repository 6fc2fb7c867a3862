// connection.cpp: parsing, dispatching and ordering the responses of one connection.
#include "pipeline/connection.hpp"

#include "parser/errors.hpp"
#include "response/status.hpp"
#include "websocket/session.hpp"  // the unique_ptr's deleter

#include <unistd.h>

#include <algorithm>
#include <utility>

namespace lesto {

namespace {

// Seconds a client whose request a stop cut short is told to wait before
// retrying it: a stop is a restart or a scale-down, and another worker or
// instance usually serves the retry at once.
constexpr std::string_view stop_retry_after = "1";

// How far a streamed request body is read ahead of its reader.
constexpr std::size_t stream_read_ahead = std::size_t{64} * 1024;

}  // namespace

Connection::Reading::Reading(const ConnectionLimits& limits, bool may_stream)
    : head_limits(limits), stream_limits(limits), parser(head_limits), chunked(limits) {
    stream_limits.max_body_bytes = limits.max_stream_body_bytes;
    if (may_stream)
        head_limits.max_body_bytes = std::max(limits.max_body_bytes, limits.max_stream_body_bytes);
    // Most requests carry a dozen headers or fewer; a larger head grows the
    // vector once, and it keeps that capacity for the connection's life.
    head.headers.reserve(std::min<std::size_t>(limits.max_header_count, 16));
}

Connection::Connection(std::uint64_t id, const ConnectionLimits& limits, Dispatcher& dispatcher,
                       const http::DateCache& date)
    : id_(id), limits_(&limits), dispatcher_(&dispatcher), date_(&date),
      may_stream_(dispatcher.may_stream_bodies()) {
    reading_ = std::make_unique<Reading>(limits, may_stream_);
}

Connection::~Connection() {
    if (stage_ == Stage::body_stream && reader_) {
        dispatcher_->body_input(reader_, {}, false, "the client closed the connection");
    }
    close_body(open_, BodyEnd::abandoned, {});
    for (Slot& slot : slots_) {
        if (!slot.done && slot.token) dispatcher_->abandon(slot.token);
        close_body(slot.body, BodyEnd::abandoned, {});
    }
}

std::span<char> Connection::input_space(std::size_t n) {
    const char* before = in_.data();
    char* p = in_.prepare(n);
    // A head parsed earlier points into the buffer while its body arrives
    // (a streamed body's head is gone: its request copied what it kept).
    if (stage_ != Stage::head && stage_ != Stage::body_stream && in_.data() != before) {
        reading_->head.rebase(before, in_.data());
    }
    return {p, in_.tail_room()};
}

bool Connection::paused() const noexcept {
    return in_flight() >= limits_->max_in_flight || out_.size() >= limits_->max_output_buffer;
}

bool Connection::wants_input() const noexcept {
    // A streamed body is read a little ahead of its reader and no further:
    // the client then waits in TCP, and memory stays bounded. Once finished,
    // its answer is out and no one reads the rest: the socket may close.
    if (stage_ == Stage::body_stream)
        return !peer_closed_ && !finished() && in_.size() < stream_read_ahead;
    if (upgrading_) return websocket_wants_input();
    return !no_more_ && !peer_closed_ && !draining_ && !paused();
}

bool Connection::finished() const noexcept { return no_more_ && next_out_ == next_seq_; }

bool Connection::process() {
    bool held = false;
    for (;;) {
        // A streamed body goes on whatever else holds: its reader waits for it.
        if (stage_ == Stage::body_stream) {
            if (!feed_stream()) break;
            continue;
        }
        if (upgrading_) {
            feed_websocket();
            break;
        }
        if (no_more_) break;
        if (paused()) {
            held = true;
            break;
        }
        // Input used up (the usual end): nothing for the parser to look at.
        if (stage_ == Stage::head && (in_.empty() || !parse_head())) break;
        if (stage_ == Stage::body_stream) {
            dispatch_streaming();
            continue;
        }
        if (stage_ != Stage::head && !read_body()) break;
        dispatch_current();
    }
    if ((peer_closed_ || draining_) && !no_more_ && !held && stage_ != Stage::body_stream) {
        // Whatever is left is an unfinished request that can never complete.
        no_more_ = true;
        // Draining: the last request received gets `Connection: close`
        // (when it is still unanswered), so the client knows to reconnect.
        last_seq_ = draining_ && next_seq_ > next_out_ ? next_seq_ - 1 : next_seq_;
    }
    return held;
}

bool Connection::parse_head() {
    Reading& rd = *reading_;
    http::ParseResult r = rd.parser.parse(in_.view(), rd.head);
    switch (r.status) {
    case http::ParseStatus::incomplete:
        return false;
    case http::ParseStatus::error:
        fail(r.error.status, r.error.reason);
        return false;
    case http::ParseStatus::complete:
        break;
    }
    rd.head.head_size = r.consumed;
    body_ = {};
    body_fed_ = 0;
    if (rd.head.body_kind == http::BodyKind::none) return true;
    const bool streams = may_stream_ && dispatcher_->streams_body(rd.head);
    const http::Limits& bound =
        streams ? rd.stream_limits : static_cast<const http::Limits&>(*limits_);
    if (rd.head.body_kind == http::BodyKind::content_length &&
        rd.head.content_length > bound.max_body_bytes) {
        // The parser let it by for a streamed body's sake (Reading::head_limits).
        fail(http::errors::length_too_large.status, http::errors::length_too_large.reason);
        return false;
    }
    rd.chunked.reset();
    rd.chunked.use_limits(bound);
    rd.chunk_body.clear();
    if (streams) {
        stage_ = Stage::body_stream;
    } else if (rd.head.body_kind == http::BodyKind::content_length) {
        stage_ = Stage::body_length;
    } else {
        stage_ = Stage::body_chunked;
    }
    return true;
}

bool Connection::read_body() {
    Reading& rd = *reading_;
    const std::size_t head_size = rd.head.head_size;
    if (stage_ == Stage::body_length) {
        // The parser refused lengths above max_body_bytes, so this fits in size_t.
        const auto length = static_cast<std::size_t>(rd.head.content_length);
        if (in_.size() - head_size < length) {
            maybe_send_continue();
            return false;
        }
        body_ = in_.view().substr(head_size, length);
        return true;
    }
    std::string_view raw = in_.view().substr(head_size + body_fed_);
    http::ParseResult r = rd.chunked.feed(raw, rd.chunk_body);
    switch (r.status) {
    case http::ParseStatus::complete:
        body_fed_ += r.consumed;
        body_ = rd.chunk_body;
        return true;
    case http::ParseStatus::incomplete:
        body_fed_ += raw.size();
        maybe_send_continue();
        return false;
    case http::ParseStatus::error:
        fail(r.error.status, r.error.reason);
        return false;
    }
    return false;
}

void Connection::maybe_send_continue() {
    // Sent only when no earlier response is owed: an interim response must not
    // overtake them. Otherwise the client sends the body after its own timeout.
    if (!reading_->head.expect_continue || continue_sent_ || next_out_ != next_seq_) return;
    http::write_continue(out_);
    continue_sent_ = true;
}

std::uint64_t Connection::open_slot() {
    const std::uint64_t seq = next_seq_++;
    if (!slots_.empty()) slots_.emplace_back();
    return seq;
}

void Connection::dispatch_current() {
    Reading& rd = *reading_;
    const bool has_body = stage_ != Stage::head;
    const std::size_t total =
        rd.head.head_size + (stage_ == Stage::body_length ? body_.size() : body_fed_);
    const std::uint64_t seq = open_slot();
    if (!rd.head.keep_alive) {
        no_more_ = true;
        last_seq_ = seq;
    }
    const bool queued = !slots_.empty();
    RequestRef ref{rd.head, in_.view().substr(0, rd.head.head_size), body_, has_body};
    dispatcher_->dispatch(*this, seq, ref);
    if (!queued && next_out_ == seq && slots_.empty()) slots_.emplace_back();

    in_.consume(total);
    stage_ = Stage::head;
    body_ = {};
    body_fed_ = 0;
    continue_sent_ = false;
    if (upgrading_) {
        // No head is parsed again (answered otherwise, the connection
        // closes), and the request has copied what it keeps.
        reading_.reset();
        return;
    }
    reading_->parser.reset();
    if (reading_->chunk_body.capacity() > std::size_t{64} * 1024)
        std::string().swap(reading_->chunk_body);
}

void Connection::fail(int status, std::string_view reason) {
    const std::uint64_t seq = open_slot();
    no_more_ = true;
    last_seq_ = seq;
    respond_error(seq, status, reason);
}

void Connection::abort(int status, std::string_view reason) {
    if (no_more_) return;
    fail(status, reason);
}

bool Connection::refuse_unanswered() {
    if (open_.kind != OpenBody::Kind::none) {
        // A body still going out cannot be finished in time, and no 503 can
        // follow it: cut it, and with it what is behind.
        fail_open(next_out_, "the server stopped before the response was complete");
        return false;
    }
    no_more_ = true;
    if (next_out_ == next_seq_) return false;
    // Slots from next_out_ on: the first unanswered request's and those behind it.
    SlotQueue<Slot> pending = std::exchange(slots_, {});
    const http::Header retry_after{"Retry-After", stop_retry_after};
    http::write_error(out_, 503, "Service Unavailable: the server is stopping", date_->value(),
                      false, {&retry_after, 1});
    last_seq_ = next_out_;
    next_out_ = next_seq_;
    // After the state is settled: abandoning runs the dispatcher's code.
    for (Slot& slot : pending) {
        if (!slot.done && slot.token) dispatcher_->abandon(slot.token);
        // An open answer behind the 503 never goes out: its producer is told, its fd closed.
        close_body(slot.body, BodyEnd::abandoned, {});
    }
    return true;
}

template <class Render>
bool Connection::answer(std::uint64_t seq, Render&& render, OpenBody* body) {
    if (seq < next_out_ || seq >= next_seq_) return false;  // already answered, or unknown
    if (seq == next_out_ && open_.kind != OpenBody::Kind::none)
        return false;  // its body is going out
    const bool keep_alive = !(no_more_ && seq >= last_seq_);
    if (seq != next_out_) {
        Slot& slot = slots_[static_cast<std::size_t>(seq - next_out_)];
        if (slot.done) return false;
        const bool open = render(slot.bytes, keep_alive);
        slot.done = true;
        slot.token = nullptr;
        if (open) slot.body = *body;
        return true;
    }
    if (render(out_, keep_alive)) {
        open_ = *body;
        // The front slot stays, answered, until its body has gone out.
        if (slots_.empty()) slots_.emplace_back();
        slots_.front().done = true;
        slots_.front().token = nullptr;
        return true;
    }
    ++next_out_;
    if (!slots_.empty()) slots_.pop_front();
    promote();
    return true;
}

bool Connection::answer_by(std::uint64_t seq, const std::function<bool(Buffer&, bool)>& render,
                           OpenBody* body) {
    return answer(seq, render, body);
}

void Connection::promote() {
    while (!slots_.empty() && slots_.front().done) {
        Slot& slot = slots_.front();
        out_.append(slot.bytes.view());
        if (slot.body.kind != OpenBody::Kind::none) {
            open_ = std::exchange(slot.body, OpenBody{});
            slot.bytes.clear();
            slot.bytes.shrink_if_empty(0);
            notify_writable();
            return;
        }
        slots_.pop_front();
        ++next_out_;
    }
}

bool Connection::respond(std::uint64_t seq, http::ResponseSpec& spec) {
    bool ok = true;
    const bool answered = answer(seq, [&](Buffer& out, bool keep_alive) {
        spec.keep_alive = spec.keep_alive && keep_alive;
        if (http::write_response(out, spec, date_->value()) != http::WriteStatus::ok) {
            ok = false;
            http::write_error(out, 500, http::reason_phrase(500), date_->value(), spec.keep_alive);
        }
        return false;
    });
    // The caller asked to close after this answer (an ASGI app's Connection: close).
    if (answered && !spec.keep_alive) drop_behind(seq);
    return ok;
}

void Connection::respond_error(std::uint64_t seq, int status, std::string_view reason,
                               std::span<const http::Header> headers) {
    answer(seq, [&](Buffer& out, bool keep_alive) {
        http::write_error(out, status, reason, date_->value(), keep_alive, headers);
        return false;
    });
}

OpenStatus Connection::respond_open(std::uint64_t seq, http::ResponseSpec& spec, OpenBody body) {
    const bool is_file = body.kind == OpenBody::Kind::file;
    if (is_file) {
        spec.framing = http::Framing::length;
        spec.content_length = body.remaining;
    } else if (spec.framing == http::Framing::length) {
        body.remaining = spec.content_length;
    } else {
        // RFC 9112 7: HTTP/1.0 has no chunked coding; the close ends the body.
        spec.framing = spec.version_minor >= 1 ? http::Framing::chunked : http::Framing::close;
    }
    body.framing = spec.framing;
    // RFC 9110 6.4.1 and 9.3.2: no content for these, the head says all.
    const bool wants_body = !spec.head_request && spec.status >= 200 && spec.status != 204 &&
                            spec.status != 304 && !(is_file && body.remaining == 0);
    OpenStatus status = OpenStatus::gone;
    const bool answered = answer(
        seq,
        [&](Buffer& out, bool keep_alive) {
            spec.keep_alive = spec.keep_alive && keep_alive && spec.framing != http::Framing::close;
            if (http::write_response(out, spec, date_->value()) != http::WriteStatus::ok) {
                status = OpenStatus::refused;
                http::write_error(out, 500, http::reason_phrase(500), date_->value(),
                                  spec.keep_alive);
                return false;
            }
            status = wants_body ? OpenStatus::open : OpenStatus::no_body;
            return wants_body;
        },
        &body);
    if (status != OpenStatus::open && body.fd >= 0) ::close(body.fd);
    if (answered && !spec.keep_alive) drop_behind(seq);
    return status;
}

OpenBody* Connection::open_body(std::uint64_t seq, Buffer*& bytes) noexcept {
    if (seq == next_out_ && open_.kind != OpenBody::Kind::none) {
        bytes = &out_;
        return &open_;
    }
    if (seq <= next_out_ || seq >= next_seq_ || slots_.empty()) return nullptr;
    Slot& slot = slots_[static_cast<std::size_t>(seq - next_out_)];
    if (!slot.done || slot.body.kind == OpenBody::Kind::none) return nullptr;
    bytes = &slot.bytes;
    return &slot.body;
}

bool Connection::room_for_stream(const Buffer& bytes) const noexcept {
    return bytes.size() < limits_->max_stream_buffer;
}

StreamStatus Connection::stream_write(std::uint64_t seq, std::string_view piece) {
    Buffer* bytes = nullptr;
    OpenBody* body = open_body(seq, bytes);
    if (!body || body->kind != OpenBody::Kind::stream) return StreamStatus::gone;
    switch (body->framing) {
    case http::Framing::length:
        if (piece.size() > body->remaining) {
            fail_open(seq, "the stream gave more bytes than its Content-Length");
            return StreamStatus::too_long;
        }
        body->remaining -= piece.size();
        bytes->append(piece);
        break;
    case http::Framing::chunked:
        http::write_chunk(*bytes, piece);
        break;
    case http::Framing::close:
    case http::Framing::whole:
        bytes->append(piece);
        break;
    }
    if (room_for_stream(*bytes)) return StreamStatus::ok;
    body->waiting = true;
    return StreamStatus::full;
}

StreamStatus Connection::stream_write_lent(std::uint64_t seq, std::string_view piece) {
    // Below this a copy costs less than the bookkeeping and a second iovec.
    constexpr std::size_t lend_from = std::size_t{16} * 1024;
    Buffer* bytes = nullptr;
    OpenBody* body = open_body(seq, bytes);
    if (!body || body->kind != OpenBody::Kind::stream) return StreamStatus::gone;
    if (body != &open_ || piece.size() < lend_from || has_lent()) {
        return stream_write(seq, piece);
    }
    if (body->framing == http::Framing::length) {
        if (piece.size() > body->remaining) {
            fail_open(seq, "the stream gave more bytes than its Content-Length");
            return StreamStatus::too_long;
        }
        body->remaining -= piece.size();
    } else if (body->framing == http::Framing::chunked) {
        http::write_chunk_size(out_, piece.size());
        lent_[1] = http::chunk_end;
    }
    lent_[0] = piece;
    return StreamStatus::ok;
}

void Connection::lent_sent(std::size_t n) noexcept {
    for (std::string_view& part : lent_) {
        const std::size_t taken = std::min(n, part.size());
        part.remove_prefix(taken);
        n -= taken;
    }
}

void Connection::absorb_lent() {
    for (std::string_view& part : lent_) {
        out_.append(part);
        part = {};
    }
}

StreamStatus Connection::settle_lent(std::uint64_t seq) {
    absorb_lent();
    Buffer* bytes = nullptr;
    OpenBody* body = open_body(seq, bytes);
    if (!body || body->kind != OpenBody::Kind::stream) return StreamStatus::gone;
    if (room_for_stream(*bytes)) return StreamStatus::ok;
    body->waiting = true;
    return StreamStatus::full;
}

bool Connection::stream_ready(std::uint64_t seq) noexcept {
    Buffer* bytes = nullptr;
    OpenBody* body = open_body(seq, bytes);
    if (!body || body->kind != OpenBody::Kind::stream) return false;
    if (body->waiting && room_for_stream(*bytes)) body->waiting = false;
    return !body->waiting;
}

StreamStatus Connection::stream_end(std::uint64_t seq) {
    Buffer* bytes = nullptr;
    OpenBody* body = open_body(seq, bytes);
    if (!body || body->kind != OpenBody::Kind::stream) return StreamStatus::gone;
    if (body->framing == http::Framing::length && body->remaining > 0) {
        fail_open(seq, "the stream ended before its Content-Length");
        return StreamStatus::too_short;
    }
    if (body->framing == http::Framing::chunked) http::write_last_chunk(*bytes);
    if (body == &open_) {
        finish_open(BodyEnd::sent, {});
    } else {
        // Complete while waiting behind earlier answers: now an answer like any other.
        close_body(*body, BodyEnd::sent, {});
    }
    return StreamStatus::ok;
}

void Connection::stream_abort(std::uint64_t seq) {
    Buffer* bytes = nullptr;
    OpenBody* body = open_body(seq, bytes);
    if (body && body->kind == OpenBody::Kind::stream)
        fail_open(seq, "the stream's producer failed");
}

void Connection::output_sent(std::size_t n) noexcept {
    out_.consume(n);
    // Half the room, so a producer is not woken for every few bytes sent.
    if (open_.waiting && out_.size() <= limits_->max_stream_buffer / 2) notify_writable();
}

void Connection::notify_writable() noexcept {
    if (!open_.waiting || !room_for_stream(out_)) return;
    open_.waiting = false;
    dispatcher_->body_writable(open_.token);
}

void Connection::file_sent(std::size_t n) {
    if (open_.kind != OpenBody::Kind::file) return;
    if (n == 0) {
        fail_open(next_out_, "the file ended before its length (it shrank while being sent)");
        return;
    }
    open_.offset += n;
    open_.remaining -= std::min<std::uint64_t>(n, open_.remaining);
    if (open_.remaining == 0) finish_open(BodyEnd::sent, {});
}

void Connection::finish_open(BodyEnd how, std::string_view reason) {
    OpenBody body = std::exchange(open_, OpenBody{});
    if (!slots_.empty()) slots_.pop_front();
    ++next_out_;
    promote();
    close_body(body, how, reason);
}

void Connection::fail_open(std::uint64_t seq, std::string_view reason) {
    drop_behind(seq);
    if (seq == next_out_) {
        // Its head, perhaps part of its body, is out: the close tells the
        // client the response is incomplete (RFC 9112 8).
        finish_open(BodyEnd::failed, reason);
        return;
    }
    // Nothing of it has been sent: a plain 500 takes its place.
    Slot& slot = slots_[static_cast<std::size_t>(seq - next_out_)];
    OpenBody body = std::exchange(slot.body, OpenBody{});
    slot.bytes.clear();
    http::write_error(slot.bytes, 500, http::reason_phrase(500), date_->value(), false);
    close_body(body, BodyEnd::failed, reason);
}

void Connection::drop_behind(std::uint64_t seq) {
    last_seq_ = no_more_ ? std::min(last_seq_, seq) : seq;
    no_more_ = true;
    if (seq + 1 >= next_seq_) return;
    // No answer may follow a response that ends with the connection (RFC 9112 9.6).
    SlotQueue<Slot> behind = slots_.take_from(static_cast<std::size_t>(seq + 1 - next_out_));
    next_seq_ = seq + 1;
    for (Slot& slot : behind) {
        if (!slot.done && slot.token) dispatcher_->abandon(slot.token);
        close_body(slot.body, BodyEnd::abandoned, {});
    }
}

void Connection::close_body(OpenBody& body, BodyEnd how, std::string_view reason) noexcept {
    if (body.kind == OpenBody::Kind::none) return;
    if (body.fd >= 0) ::close(body.fd);
    void* token = body.token;
    body = OpenBody{};
    if (token) dispatcher_->body_finished(token, how, reason);
}

void Connection::set_token(std::uint64_t seq, void* token) noexcept {
    if (seq < next_out_ || seq >= next_seq_) return;
    if (slots_.empty()) slots_.emplace_back();  // the request being dispatched
    slots_[static_cast<std::size_t>(seq - next_out_)].token = token;
}

}  // namespace lesto
