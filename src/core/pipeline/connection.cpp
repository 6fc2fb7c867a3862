// connection.cpp: parsing, dispatching and ordering the responses of one connection.
#include "pipeline/connection.hpp"

#include "response/status.hpp"

#include <algorithm>
#include <utility>

namespace lesto {

namespace {

// Seconds a client whose request a stop cut short is told to wait before
// retrying it: a stop is a restart or a scale-down, and another worker or
// instance usually serves the retry at once.
constexpr std::string_view stop_retry_after = "1";

}  // namespace

Connection::Connection(std::uint64_t id, const ConnectionLimits& limits, Dispatcher& dispatcher,
                       const http::DateCache& date)
    : id_(id), limits_(&limits), dispatcher_(&dispatcher), date_(&date), parser_(limits),
      chunked_(limits) {
    // Most requests carry a dozen headers or fewer; a larger head grows the
    // vector once, and it keeps that capacity for the connection's life.
    head_.headers.reserve(std::min<std::size_t>(limits.max_header_count, 16));
}

Connection::~Connection() {
    for (Slot& slot : slots_) {
        if (!slot.done && slot.token) dispatcher_->abandon(slot.token);
    }
}

std::span<char> Connection::input_space(std::size_t n) {
    const char* before = in_.data();
    char* p = in_.prepare(n);
    // A head parsed earlier points into the buffer while its body arrives.
    if (stage_ != Stage::head && in_.data() != before) head_.rebase(before, in_.data());
    return {p, in_.tail_room()};
}

bool Connection::paused() const noexcept {
    return in_flight() >= limits_->max_in_flight || out_.size() >= limits_->max_output_buffer;
}

bool Connection::wants_input() const noexcept {
    return !no_more_ && !peer_closed_ && !draining_ && !paused();
}

bool Connection::finished() const noexcept {
    return no_more_ && next_out_ == next_seq_;
}

bool Connection::process() {
    bool held = false;
    while (!no_more_) {
        if (paused()) {
            held = true;
            break;
        }
        // Input used up (the usual end): nothing for the parser to look at.
        if (stage_ == Stage::head && (in_.empty() || !parse_head())) break;
        if (stage_ != Stage::head && !read_body()) break;
        dispatch_current();
    }
    if ((peer_closed_ || draining_) && !no_more_ && !held) {
        // Whatever is left is an unfinished request that can never complete.
        no_more_ = true;
        // Draining: the last request received gets `Connection: close`
        // (when it is still unanswered), so the client knows to reconnect.
        last_seq_ = draining_ && next_seq_ > next_out_ ? next_seq_ - 1 : next_seq_;
    }
    return held;
}

bool Connection::parse_head() {
    http::ParseResult r = parser_.parse(in_.view(), head_);
    switch (r.status) {
        case http::ParseStatus::incomplete:
            return false;
        case http::ParseStatus::error:
            fail(r.error.status, r.error.reason);
            return false;
        case http::ParseStatus::complete:
            break;
    }
    head_.head_size = r.consumed;
    body_ = {};
    body_fed_ = 0;
    switch (head_.body_kind) {
        case http::BodyKind::none:
            return true;
        case http::BodyKind::content_length:
            stage_ = Stage::body_length;
            break;
        case http::BodyKind::chunked:
            stage_ = Stage::body_chunked;
            chunked_.reset();
            chunk_body_.clear();
            break;
    }
    return true;
}

bool Connection::read_body() {
    const std::size_t head_size = head_.head_size;
    if (stage_ == Stage::body_length) {
        // The parser refused lengths above max_body_bytes, so this fits in size_t.
        const auto length = static_cast<std::size_t>(head_.content_length);
        if (in_.size() - head_size < length) {
            maybe_send_continue();
            return false;
        }
        body_ = in_.view().substr(head_size, length);
        return true;
    }
    std::string_view raw = in_.view().substr(head_size + body_fed_);
    http::ParseResult r = chunked_.feed(raw, chunk_body_);
    switch (r.status) {
        case http::ParseStatus::complete:
            body_fed_ += r.consumed;
            body_ = chunk_body_;
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
    if (!head_.expect_continue || continue_sent_ || next_out_ != next_seq_) return;
    http::write_continue(out_);
    continue_sent_ = true;
}

std::uint64_t Connection::open_slot() {
    const std::uint64_t seq = next_seq_++;
    if (!slots_.empty()) slots_.emplace_back();
    return seq;
}

void Connection::dispatch_current() {
    const bool has_body = stage_ != Stage::head;
    const std::size_t total =
        head_.head_size + (stage_ == Stage::body_length ? body_.size() : body_fed_);
    const std::uint64_t seq = open_slot();
    if (!head_.keep_alive) {
        no_more_ = true;
        last_seq_ = seq;
    }
    const bool queued = !slots_.empty();
    RequestRef ref{head_, in_.view().substr(0, head_.head_size), body_, has_body};
    dispatcher_->dispatch(*this, seq, ref);
    if (!queued && next_out_ == seq && slots_.empty()) slots_.emplace_back();

    in_.consume(total);
    parser_.reset();
    stage_ = Stage::head;
    body_ = {};
    body_fed_ = 0;
    continue_sent_ = false;
    if (chunk_body_.capacity() > std::size_t{64} * 1024) std::string().swap(chunk_body_);
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
    no_more_ = true;
    if (next_out_ == next_seq_) return false;
    // Slots from next_out_ on: the first unanswered request's and those behind it.
    std::deque<Slot> pending;
    pending.swap(slots_);
    const http::Header retry_after{"Retry-After", stop_retry_after};
    http::write_error(out_, 503, "Service Unavailable: the server is stopping", date_->value(),
                      false, {&retry_after, 1});
    last_seq_ = next_out_;
    next_out_ = next_seq_;
    // After the state is settled: abandoning runs the dispatcher's code.
    for (Slot& slot : pending) {
        if (!slot.done && slot.token) dispatcher_->abandon(slot.token);
    }
    return true;
}

template <class Render>
void Connection::answer(std::uint64_t seq, Render&& render) {
    if (seq < next_out_ || seq >= next_seq_) return;  // already answered, or unknown
    const bool keep_alive = !(no_more_ && seq >= last_seq_);
    if (seq != next_out_) {
        Slot& slot = slots_[static_cast<std::size_t>(seq - next_out_)];
        if (slot.done) return;
        render(slot.bytes, keep_alive);
        slot.done = true;
        slot.token = nullptr;
        return;
    }
    render(out_, keep_alive);
    ++next_out_;
    if (!slots_.empty()) slots_.pop_front();
    while (!slots_.empty() && slots_.front().done) {
        out_.append(slots_.front().bytes.view());
        slots_.pop_front();
        ++next_out_;
    }
}

bool Connection::respond(std::uint64_t seq, http::ResponseSpec& spec) {
    bool ok = true;
    answer(seq, [&](Buffer& out, bool keep_alive) {
        spec.keep_alive = spec.keep_alive && keep_alive;
        if (http::write_response(out, spec, date_->value()) != http::WriteStatus::ok) {
            ok = false;
            http::write_error(out, 500, http::reason_phrase(500), date_->value(), spec.keep_alive);
        }
    });
    return ok;
}

void Connection::respond_error(std::uint64_t seq, int status, std::string_view reason) {
    answer(seq, [&](Buffer& out, bool keep_alive) {
        http::write_error(out, status, reason, date_->value(), keep_alive);
    });
}

void Connection::set_token(std::uint64_t seq, void* token) noexcept {
    if (seq < next_out_ || seq >= next_seq_) return;
    if (slots_.empty()) slots_.emplace_back();  // the request being dispatched
    slots_[static_cast<std::size_t>(seq - next_out_)].token = token;
}

}  // namespace lesto
