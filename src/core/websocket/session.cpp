// session.cpp: the protocol state machine: frames in, messages and replies out.
#include "websocket/session.hpp"

#include <utility>

#include "websocket/deflate.hpp"

namespace lesto::ws {
namespace {

bool is_known(std::uint8_t opcode) noexcept {
    switch (static_cast<Opcode>(opcode)) {
    case Opcode::continuation:
    case Opcode::text:
    case Opcode::binary:
    case Opcode::close:
    case Opcode::ping:
    case Opcode::pong:
        return true;
    }
    return false;
}

/// Writes a close frame with `c` and `reason` (cut to what a close frame holds).
void write_close(Buffer& out, std::uint16_t c, std::string_view reason) {
    char payload[2 + max_close_reason];
    const char* end = put_close(payload, c, reason.substr(0, max_close_reason));
    write_frame(out, Opcode::close, {payload, static_cast<std::size_t>(end - payload)});
}

}  // namespace

Session::Session(const Limits& limits, const DeflateParams* deflate) : limits_(limits) {
    if (deflate) deflate_ = *deflate;
}

Session::~Session() = default;

std::size_t Session::feed(std::span<char> in, Events& events, Buffer& out) {
    char* const data = in.data();
    const std::size_t n = in.size();
    std::size_t i = 0;
    deferred_ = false;
    if (done()) return 0;
    const std::uint64_t delivered_before = delivered_;
    while (!done()) {
        if (!in_frame_) {
            if (i == n) break;
            const std::size_t frame_start = i;
            std::size_t used = 0;
            Failure error;
            const auto status = reader_.read({data + i, n - i}, used, frame_, error);
            i += used;
            if (status == HeaderReader::Status::incomplete) break;
            if (status == HeaderReader::Status::error || (error = check_header())) {
                // A message came in this call (so this header did too, whole):
                // its answer first, this frame's failure on the next call.
                if (delivered_ != delivered_before) {
                    reader_.reset();
                    deferred_ = true;
                    return frame_start;
                }
                fail(error, events, out);
                break;
            }
            begin_frame();
        }
        // The payload, as much of it as is here (an empty one at once).
        const std::uint64_t left = frame_.length - done_;
        const std::size_t take = left < n - i ? static_cast<std::size_t>(left) : n - i;
        const bool last = take == left;
        if (take == 0 && !last) break;
        char* p = data + i;
        unmask(p, take, frame_.mask, done_);
        const bool whole = done_ == 0 && last;
        done_ += take;
        i += take;
        if (last) in_frame_ = false;
        on_payload(p, take, whole, last, events, out);
    }
    // Where a failure is found depends on how the bytes came (a bad byte
    // is seen where it is fed): whatever came with it is discarded.
    return state_ == State::failed ? n : i;
}

Failure Session::check_header() const noexcept {
    const FrameHeader& f = frame_;
    if (!f.masked) return failures::unmasked;  // 5.1: a server must fail an unmasked frame
    if (!is_known(f.opcode)) return failures::unknown_opcode;
    if (f.rsv & (rsv2 | rsv3)) return failures::reserved_bits;
    if (f.rsv & rsv1) {
        // RFC 7692 6: RSV1 marks a compressed message, on its first frame only.
        if (!deflate_) return failures::reserved_bits;
        if (is_control(f.opcode)) return failures::compressed_control;
        if (f.opcode == static_cast<std::uint8_t>(Opcode::continuation))
            return failures::compressed_continuation;
    }
    if (is_control(f.opcode)) {
        if (!f.fin) return failures::fragmented_control;
        if (f.length > max_control_payload) return failures::long_control;
        return {};
    }
    // Closing, data is skipped unread (on_payload): its sequence no longer matters.
    if (state_ != State::open) return {};
    const bool continuation = f.opcode == static_cast<std::uint8_t>(Opcode::continuation);
    if (continuation && !in_message_) return failures::stray_continuation;
    if (!continuation && in_message_) return failures::interleaved_message;
    if (f.length > limits_.max_frame) return failures::frame_too_big;
    const bool compressed = continuation ? compressed_ : (f.rsv & rsv1) != 0;
    const std::uint64_t before = continuation ? message_size_ : 0;
    if (!compressed && f.length > limits_.max_message - before) return failures::message_too_big;
    return {};
}

void Session::begin_frame() noexcept {
    in_frame_ = true;
    done_ = 0;
    if (is_control(frame_.opcode)) {
        control_.clear();
        return;
    }
    if (state_ != State::open) return;
    if (frame_.opcode != static_cast<std::uint8_t>(Opcode::continuation)) {
        in_message_ = true;
        compressed_ = (frame_.rsv & rsv1) != 0;
        kind_ =
            frame_.opcode == static_cast<std::uint8_t>(Opcode::text) ? Kind::text : Kind::binary;
        message_size_ = 0;
        utf8_.reset();
    }
    if (!compressed_) message_size_ += frame_.length;
}

void Session::on_payload(char* p, std::size_t n, bool whole, bool last, Events& events,
                         Buffer& out) {
    if (is_control(frame_.opcode)) {
        if (whole) return on_control({p, n}, events, out);
        control_.append(p, n);
        if (last) on_control(std::exchange(control_, {}), events, out);  // its room goes
        return;
    }
    // 5.5.1: after its close the server reads no more data, only the reply.
    if (state_ != State::open) return;
    if (n == 0 && !last) return;
    on_data(p, n, whole, last, events, out);
}

void Session::on_data(char* p, std::size_t n, bool whole, bool last, Events& events, Buffer& out) {
    const std::string_view piece(p, n);
    if (compressed_) return on_compressed(piece, last, events, out);
    // Text is checked as it arrives: a bad byte fails the connection at
    // once, not at the end of a long message (Autobahn 6.4).
    if (kind_ == Kind::text && !utf8_.feed(piece)) return fail(failures::text_utf8, events, out);
    const bool ends_message = last && frame_.fin;
    if (whole && frame_.fin && frame_.opcode != static_cast<std::uint8_t>(Opcode::continuation)) {
        // A message of one frame, all here: handed over where it lies.
        if (kind_ == Kind::text && !utf8_.complete()) return fail(failures::text_utf8, events, out);
        in_message_ = false;
        return deliver(piece, events);
    }
    message_.append(piece);
    if (!ends_message) return;
    if (kind_ == Kind::text && !utf8_.complete()) return fail(failures::text_utf8, events, out);
    in_message_ = false;
    deliver(message_.view(), events);
}

void Session::on_compressed(std::string_view piece, bool last, Events& events, Buffer& out) {
    if (!inflater_) inflater_ = std::make_unique<Inflater>(*deflate_);
    const std::size_t before = message_.size();
    const bool ends_message = last && frame_.fin;
    Inflater::Result r = inflater_->feed(piece, message_, limits_.max_message);
    if (r == Inflater::Result::ok && ends_message)
        r = inflater_->finish(message_, limits_.max_message);
    // What did inflate is checked first, failure or not: a bad byte comes
    // before the data that broke off or ran over, however the frame came.
    if (kind_ == Kind::text && !utf8_.feed({message_.data() + before, message_.size() - before}))
        return fail(failures::text_utf8, events, out);
    if (r == Inflater::Result::too_big) return fail(failures::message_too_big, events, out);
    if (r == Inflater::Result::corrupt) return fail(failures::bad_compression, events, out);
    if (!ends_message) return;
    if (kind_ == Kind::text && !utf8_.complete()) return fail(failures::text_utf8, events, out);
    in_message_ = false;
    deliver(message_.view(), events);
}

void Session::deliver(std::string_view payload, Events& events) {
    ++delivered_;
    events.message(kind_, payload);
    // Given back after each message: a buffer freed when its connection
    // parks would stay in malloc's hands, resident, for the whole server.
    message_.clear();
    message_.shrink_if_empty(0);
}

void Session::on_control(std::string_view payload, Events& events, Buffer& out) {
    switch (static_cast<Opcode>(frame_.opcode)) {
    case Opcode::ping:
        // 5.5.2: answered with the same payload, unless the server is closing.
        if (state_ == State::open) write_frame(out, Opcode::pong, payload);
        return;
    case Opcode::close: {
        ClosePayload close;
        if (const Failure f = read_close(payload, close)) return fail(f, events, out);
        if (state_ == State::open) {
            // 5.5.1: the reply echoes the code (none when there was none).
            char reply[2];
            const std::size_t size = close.code == code::no_status ? 0 : 2;
            if (size) put_close(reply, close.code, {});
            write_frame(out, Opcode::close, {reply, size});
        }
        state_ = State::closed;
        events.closed(close.code, close.reason);
        return;
    }
    default:  // pong: unsolicited ones are allowed (5.5.3) and need nothing
        return;
    }
}

void Session::fail(Failure f, Events& events, Buffer& out) {
    // 7.1.7: send a close with the reason unless one went already.
    if (state_ == State::open) write_close(out, f.code, f.reason);
    state_ = State::failed;
    failure_ = f;
    events.closed(f.code, f.reason);
}

bool Session::send(Kind kind, std::string_view payload, Buffer& out) {
    if (state_ != State::open) return false;
    const Opcode opcode = kind == Kind::text ? Opcode::text : Opcode::binary;
    if (!deflate_) {
        write_frame(out, opcode, payload);
        return true;
    }
    if (!deflater_) deflater_ = std::make_unique<Deflater>(*deflate_);
    compressed_out_.clear();
    if (!deflater_->compress(payload, compressed_out_)) {
        // Out of memory inside zlib: the stream is unusable from here on.
        write_close(out, failures::compression_failed.code, failures::compression_failed.reason);
        state_ = State::failed;
        failure_ = failures::compression_failed;
        return false;
    }
    write_frame(out, opcode, compressed_out_.view(), rsv1);
    compressed_out_.clear();
    compressed_out_.shrink_if_empty(0);  // as message_, in deliver
    return true;
}

bool Session::ping(std::string_view payload, Buffer& out) {
    if (state_ != State::open || payload.size() > max_control_payload) return false;
    write_frame(out, Opcode::ping, payload);
    return true;
}

void Session::park() noexcept {
    if (in_message_) return;  // the inflater is in the middle of it
    // A stream that zlib cannot park stays as it was: nothing is lost.
    if (inflater_) static_cast<void>(inflater_->park());
    if (deflater_) static_cast<void>(deflater_->park());
}

bool Session::close(std::uint16_t c, std::string_view reason, Buffer& out) {
    if (state_ != State::open) return false;
    if (c == code::no_status && reason.empty()) {
        write_frame(out, Opcode::close, {});
    } else {
        if (!is_sendable_code(c) || reason.size() > max_close_reason || !is_utf8(reason))
            return false;
        write_close(out, c, reason);
    }
    state_ = State::closing;
    return true;
}

}  // namespace lesto::ws
