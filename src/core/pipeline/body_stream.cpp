// body_stream.cpp: a request body given to its reader piece by piece, as the reader asks.
#include "pipeline/connection.hpp"

#include <algorithm>

namespace lesto {

void Connection::dispatch_streaming() {
    const std::uint64_t seq = open_slot();
    if (!reading_->head.keep_alive) {
        no_more_ = true;
        last_seq_ = seq;
    }
    stream_seq_ = seq;
    stream_left_ = reading_->head.content_length;
    stream_chunked_ = reading_->head.body_kind == http::BodyKind::chunked;
    stream_expects_continue_ = reading_->head.expect_continue;
    reader_ = nullptr;
    reader_wants_ = false;
    continue_sent_ = false;  // before dispatch: the handler may ask for the body at once
    const bool queued = !slots_.empty();
    const RequestRef ref{
        reading_->head, in_.view().substr(0, reading_->head.head_size), {}, true, true};
    dispatcher_->dispatch(*this, seq, ref);
    if (!queued && next_out_ == seq && slots_.empty()) slots_.emplace_back();
    // Whoever kept the request copied its head: the buffer holds body bytes from here on.
    in_.consume(reading_->head.head_size);
    reading_->head.clear();
    reading_->parser.reset();
}

void Connection::set_body_reader(std::uint64_t seq, void* token) noexcept {
    if (stage_ == Stage::body_stream && seq == stream_seq_) reader_ = token;
}

bool Connection::want_body(std::uint64_t seq) {
    if (stage_ != Stage::body_stream || seq != stream_seq_ || !reader_) return false;
    reader_wants_ = true;
    // Asked for at last: now the client may send it (RFC 9110 10.1.1). Not
    // ahead of an earlier answer still owed, which must come first, nor
    // after this request's own answer has begun (a stream echoing the body).
    if (stream_expects_continue_ && !continue_sent_ && next_out_ == stream_seq_ &&
        open_.kind == OpenBody::Kind::none) {
        http::write_continue(out_);
        continue_sent_ = true;
    }
    return true;
}

bool Connection::feed_stream() {
    // Answered, and its answer sent: no one will read the rest, which is dropped.
    if (reader_ && !owes(stream_seq_)) {
        void* reader = std::exchange(reader_, nullptr);
        dispatcher_->body_input(reader, {}, false,
                                "the response was sent before the body was read");
    }
    const bool dropping = reader_ == nullptr;
    if (!dropping && !reader_wants_) return false;
    std::string_view piece;
    std::size_t consumed = 0;
    bool last = false;
    if (!stream_chunked_) {
        consumed = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), stream_left_));
        piece = in_.view().substr(0, consumed);
        stream_left_ -= consumed;
        last = stream_left_ == 0;
    } else {
        reading_->chunk_body.clear();
        const http::ParseResult r = reading_->chunked.feed(in_.view(), reading_->chunk_body);
        if (r.status == http::ParseStatus::error) {
            in_.consume(in_.size());
            // The request is answered with the error, unless it already was;
            // either way nothing can follow on this connection.
            last_seq_ = no_more_ ? std::min(last_seq_, stream_seq_) : stream_seq_;
            no_more_ = true;
            respond_error(stream_seq_, r.error.status, r.error.reason);
            end_stream(r.error.reason);
            return false;
        }
        last = r.status == http::ParseStatus::complete;
        consumed = last ? r.consumed : in_.size();
        piece = reading_->chunk_body;
    }
    if (piece.empty() && !last) {
        in_.consume(consumed);
        if (peer_closed_) {
            last_seq_ = no_more_ ? std::min(last_seq_, stream_seq_) : stream_seq_;
            no_more_ = true;
            end_stream("the client closed the connection before the body was complete");
        }
        return false;
    }
    if (!dropping) {
        reader_wants_ = false;
        dispatcher_->body_input(reader_, piece, last, {});
    }
    in_.consume(consumed);
    if (!last) return dropping && !in_.empty();
    stage_ = Stage::head;
    reader_ = nullptr;
    reading_->chunked.use_limits(static_cast<const http::Limits&>(*limits_));
    return true;
}

void Connection::end_stream(std::string_view error) {
    stage_ = Stage::head;
    reading_->chunked.use_limits(static_cast<const http::Limits&>(*limits_));
    if (void* reader = std::exchange(reader_, nullptr)) {
        dispatcher_->body_input(reader, {}, false, error);
    }
}

}  // namespace lesto
