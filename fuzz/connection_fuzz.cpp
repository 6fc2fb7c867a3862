// connection_fuzz.cpp: Connection driven by a scripted application and socket: ordering, closing,
// backpressure.
//
// Input: 11 control bytes, a script, then the wire.
//   [0] bit 0: small parser limits from the knobs; bit 1: timeouts (the
//       script may abort() a request still arriving with 408, as the
//       server's tick does); bit 2: graceful drain (the script may call
//       stop_reading(), as a server shutting down does); bit 3: when not
//       everything gets answered, the grace period ends (refuse_unanswered());
//       bit 4: request bodies whose path starts with "/s" stream (read with
//       set_body_reader and want_body; max_stream_body_bytes is then
//       max_body_bytes, so the bare parser agrees); bit 5: some answers are
//       open bodies (streams and files, respond_open)
//   [1..6] limit knobs (fuzz_util.hpp limits_from)
//   [7] max_in_flight: 0 keeps the default, else 1..8
//   [8] max_output_buffer: 0 keeps the default, else 8..2040 bytes
//   [9] max_stream_buffer: 0 keeps the default, else 1..255 bytes
//   [10] script length L, then L script bytes (read cyclically; none: all 0)
// The script plays the socket (how many bytes each read brings, two reads
// before one process(), EOF in the same batch as the last bytes, how much of
// the output is sent) and the application (answer at once, defer with or
// without a token, answer deferred ones out of order, answer with an invalid
// header, answer twice). Script byte 0 means: everything at once, answered
// at once, so a plain request is a useful seed.
//
// Checked: responses leave in request order (each names its seq in X-Seq
// and its body); no response to a request never dispatched; no dispatch
// after finished(); in-flight and output stay bounded under the limits; the
// requests dispatched are the ones a bare RequestParser finds in the wire,
// and once everything is answered all of them were; an engine error answers
// last with the parser's status; 100 Continue only for a request that asked
// and never ahead of owed responses; the destructor abandons exactly the
// deferred requests left unanswered. Open bodies: a stream gives its body in
// pieces (ends it, aborts it, or breaks its declared length either way,
// also while earlier answers are pending), a file is sent by the driver with
// pread as the socket layer would (sometimes reporting 0: the file shrank);
// body_finished comes exactly once per open body, body_writable only to a
// stream told to wait; a cut response is the last thing on the wire and the
// connection is finished; no fd is left open. Streamed request bodies:
// dispatched at the head; want_body accepted while the reader reads; a piece
// only after want_body, nothing after the last piece or an error, and every
// reader hears one of them; the pieces are the body the bare parser reads (a
// prefix when cut short or dropped); a body broken or cut off ends the
// connection with its request's answer (the app's, or the decoder's error,
// which closes). When the grace period ends:
// an open body going out is cut short and nothing follows it; else the first
// request still owed gets a 503 with Connection: close and nothing follows
// it; the connection is finished, the deferred requests behind are abandoned
// then rather than by the destructor, and the open bodies behind end as
// abandoned.
#include "fuzz_util.hpp"
#include "pipeline/connection.hpp"
#include "response/writer.hpp"
#include "support/bytes.hpp"
#include "support/replay.hpp"
#include "support/responses.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {

using lesto::BodyEnd;
using lesto::Connection;
using lesto::ConnectionLimits;
using lesto::OpenBody;
using lesto::OpenStatus;
using lesto::RequestRef;
using lesto::StreamStatus;
using lesto::fuzz::Choices;
using lesto::http::BodyKind;
using lesto::http::Limits;
using lesto::http::ParseStatus;
using namespace lesto::test;

constexpr std::size_t fixed_control = 11;
// A bound on every response this target can cause: a head, and a body of at
// most 255 bytes in chunks of one byte each.
constexpr std::size_t max_response = 3072;
constexpr int max_steps = 100000;

// ---- what a bare parser makes of the wire -------------------------------------------

struct Expected {
    std::vector<Request> requests;  // complete, in order, up to the first that closes
    int error = 0;                  // the engine's error status after them; 0 for none
    Request next;  // the request after them, unfinished or refused (a streamed one is dispatched)
    bool next_expects = false;  // the request after them (unfinished or refused) has a complete
                                // head with 100-continue
};

Expected expected_of(std::string_view wire, const Limits& limits) {
    Expected e;
    std::vector<Request> parsed = lesto::test::replay(
        wire, {wire.size()}, limits, lesto::fuzz::broken, {.max_requests = SIZE_MAX});
    for (Request& r : parsed) {
        if (r.status != ParseStatus::complete) {
            if (r.status == ParseStatus::error) e.error = r.code;
            e.next_expects = r.expect_continue;
            e.next = std::move(r);
            break;
        }
        const bool closes = !r.keep_alive;
        e.requests.push_back(std::move(r));
        if (closes) break;
    }
    return e;
}

// ---- the application -------------------------------------------------------------------

struct Record {
    Request req;
    bool answered = false;
    bool valid = true;  // answered with a valid spec (else the engine's 500)
    bool token = false;
    // An open answer (respond_open): its body, what became of it.
    enum class Open : std::uint8_t { no, stream, file } open = Open::no;
    OpenStatus open_status = OpenStatus::gone;
    std::string body;           // what the open body is to be
    bool fails = false;         // made to fail: aborted, its length broken, its file shrunk
    bool close_framed = false;  // a stream to an HTTP/1.0 request: ends with the connection
    int status = 200;           // of the open answer
    int finished = 0;           // body_finished calls
    BodyEnd how = BodyEnd::sent;
    std::size_t written = 0;     // stream: bytes given
    std::uint64_t declared = 0;  // stream: its Content-Length, or UINT64_MAX for none
    std::size_t abort_at = SIZE_MAX;
    bool waiting = false;  // stream: told full, waits for body_writable
    bool ended = false;    // stream: ended, aborted or failed
    // A streamed request body (bit 4): its reader, what it was given.
    bool streamed = false;
    bool reader = false;      // set_body_reader was called
    bool reading = false;     // the reader has not heard its last piece or an error
    bool wants = false;       // want_body asked, no piece given since
    bool complete = false;    // the last piece came
    bool body_error = false;  // the body ended in an error before an answer: if its framing
                              // broke, the engine answered it (with the decoder's error)
};

/// The body of seq's open answer: `len` bytes of "seq=N;" repeated.
std::string body_text(std::uint64_t seq, std::size_t len) {
    const std::string unit = "seq=" + std::to_string(seq) + ";";
    std::string b;
    while (b.size() < len) b += unit;
    b.resize(len);
    return b;
}

/// Open file descriptors of this process: none may leak.
std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

class App final : public lesto::Dispatcher {
public:
    explicit App(Choices& script) noexcept : script_(script) {}

    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& r) override {
        FUZZ_CHECK(!finished_seen, "dispatch after finished()");
        FUZZ_CHECK(!destroying, "dispatch from the destructor");
        FUZZ_CHECK(seq == records.size(), "dispatched seq " + std::to_string(seq));
        const auto& h = r.head;
        FUZZ_CHECK(r.raw_head.size() == h.head_size, "raw_head is not the head");
        for (const std::string_view v : {h.method, h.target, h.path, h.query, h.host})
            FUZZ_CHECK(inside(v, r.raw_head), "view outside raw_head");
        for (const auto& f : h.headers)
            FUZZ_CHECK(inside(f.name, r.raw_head) && inside(f.value, r.raw_head),
                       "header outside raw_head");
        FUZZ_CHECK(r.has_body == (h.body_kind != BodyKind::none), "has_body");
        if (h.body_kind == BodyKind::content_length && !r.streamed)
            FUZZ_CHECK(r.body.size() == h.content_length, std::to_string(r.body.size()));
        if (!r.has_body) FUZZ_CHECK(r.body.empty(), "a body without framing");

        Record rec;
        rec.req = lesto::test::take(h);
        rec.req.body = r.body;
        records.push_back(std::move(rec));
        tokens_.push_back(seq);
        body_tokens_.push_back(seq);
        reader_tokens_.push_back(seq);
        conn_ = &conn;

        const std::uint8_t d = script_.cycle();
        if (r.streamed) {
            FUZZ_CHECK(streams && h.path.starts_with("/s") && r.body.empty(),
                       "a body streamed that should not be");
            Record& s = records[seq];
            s.streamed = true;
            // Mostly read; sometimes never read (the answer drops the body).
            if (d % 16 != 15) {
                conn.set_body_reader(seq, &reader_tokens_[seq]);
                s.reader = s.reading = true;
                if (d & 0x20) ask(conn, seq);
            }
        } else {
            FUZZ_CHECK(!streams || !h.path.starts_with("/s") || !r.has_body,
                       "a body not streamed that should be");
        }
        if (d & 0x40) answer_one(conn, script_.cycle());  // re-entrant: an earlier one first
        if (!conn.owes(seq)) {  // an earlier answer just cut the connection short
            dropped = true;
            return;
        }
        if (open_bodies && (d & 8) && d % 8 < 4) {
            answer_open(conn, seq, script_.cycle());
            return;
        }
        switch (d % 8) {
        case 4:
        case 5:
            conn.set_token(seq, &tokens_[seq]);
            records[seq].token = true;
            pending.push_back(seq);
            break;
        case 6:
            pending.push_back(seq);  // deferred without a token: nothing to abandon
            break;
        case 7:
            answer(conn, seq, false);
            break;
        default:
            answer(conn, seq, true);
            if (d & 0x80) answer(conn, seq, true);  // a second answer is ignored
            break;
        }
    }

    bool may_stream_bodies() const noexcept override { return streams; }
    bool streams_body(const lesto::http::RequestHead& head) override {
        FUZZ_CHECK(streams, "streams_body asked when no body streams");
        return head.path.starts_with("/s");
    }

    std::uint64_t reader_seq(void* token) const {
        const auto seq = *static_cast<const std::uint64_t*>(token);
        FUZZ_CHECK(seq < records.size() && token == &reader_tokens_[seq], "not a reader token");
        return seq;
    }

    void body_input(void* token, std::string_view piece, bool last,
                    std::string_view error) noexcept override {
        const std::uint64_t seq = reader_seq(token);
        Record& rec = records[seq];
        FUZZ_CHECK(rec.reading, "body_input after the last piece or an error");
        if (!error.empty()) {
            FUZZ_CHECK(piece.empty() && !last, "an error with a piece");
            rec.reading = rec.wants = false;
            // Answered (and sent) first: the rest is dropped, the connection goes on.
            if (destroying || rec.answered) return;
            stream_broken = true;  // nothing follows on this connection
            rec.body_error = true;
            return;
        }
        FUZZ_CHECK(rec.wants, "body_input not asked for");
        rec.wants = false;
        rec.req.body += piece;
        if (last) rec.reading = false, rec.complete = true;
    }

    /// The reader of `seq` asks for the next piece.
    void ask(Connection& conn, std::uint64_t seq) {
        Record& rec = records[seq];
        FUZZ_CHECK(conn.want_body(seq), "want_body refused a reader still reading");
        rec.wants = true;
    }

    /// A reader that may ask, chosen by `pick`; false when none.
    bool ask_one(Connection& conn, std::uint8_t pick) {
        std::vector<std::uint64_t> v;
        for (std::uint64_t i = 0; i < records.size(); ++i)
            if (records[i].reading && !records[i].wants) v.push_back(i);
        if (v.empty()) return false;
        ask(conn, v[pick % v.size()]);
        return true;
    }

    void abandon(void* token) noexcept override {
        FUZZ_CHECK(destroying || refusing || cutting,
                   "abandon outside the destructor, refuse_unanswered and a cut");
        abandoned.push_back(token);
    }

    std::uint64_t body_seq(void* token) const {
        const auto seq = *static_cast<const std::uint64_t*>(token);
        FUZZ_CHECK(seq < records.size() && token == &body_tokens_[seq], "not a body token");
        return seq;
    }

    void body_writable(void* token) noexcept override {
        Record& rec = records[body_seq(token)];
        FUZZ_CHECK(rec.waiting && rec.finished == 0, "body_writable to a stream not waiting");
        rec.waiting = false;
    }

    void body_finished(void* token, BodyEnd how, std::string_view reason) noexcept override {
        Record& rec = records[body_seq(token)];
        FUZZ_CHECK(rec.open_status == OpenStatus::open && rec.finished == 0,
                   "body_finished twice, or for a body not open");
        FUZZ_CHECK((how == BodyEnd::failed) == !reason.empty(), "a failure without a reason");
        rec.finished = 1;
        rec.how = how;
        rec.ended = true;
        if (how == BodyEnd::failed) cut_seen = true;
    }

    /// Answer `seq` with an open body as `how` says: a stream (chunked or
    /// close-framed, a declared length kept or broken, maybe aborted) or a
    /// file at an offset of a memfd; 204 answers with no body.
    void answer_open(Connection& conn, std::uint64_t seq, std::uint8_t how) {
        Record& rec = records[seq];
        if (rec.answered) return;
        const bool owed = conn.owes(seq);
        const std::size_t len = script_.cycle();
        rec.body = body_text(seq, len);
        const std::string seq_text = std::to_string(seq);
        const lesto::http::Header headers[1] = {{"X-Seq", seq_text}};
        lesto::http::ResponseSpec spec;
        spec.content_type = "text/plain";
        spec.headers = headers;
        spec.version_minor = static_cast<std::uint8_t>(rec.req.version_minor);
        spec.status = rec.status = (how & 7) == 7 ? 204 : 200;
        OpenBody body;
        body.token = &body_tokens_[seq];
        bool wants_body = spec.status == 200;
        if (how & 8) {
            rec.open = Record::Open::file;
            const std::size_t off = script_.cycle();
            body.fd = memfd_create("lesto-fuzz-body", MFD_CLOEXEC);
            FUZZ_CHECK(body.fd >= 0, "memfd_create failed");
            const std::string bytes = std::string(off, 'x') + rec.body;
            FUZZ_CHECK(::write(body.fd, bytes.data(), bytes.size()) ==
                           static_cast<ssize_t>(bytes.size()),
                       "writing the memfd");
            body.kind = OpenBody::Kind::file;
            body.offset = off;
            body.remaining = len;
            wants_body = wants_body && len > 0;
        } else {
            rec.open = Record::Open::stream;
            body.kind = OpenBody::Kind::stream;
            rec.declared = UINT64_MAX;
            switch ((how >> 4) & 3) {
            case 1:  // declared and kept
                rec.declared = len;
                break;
            case 2:  // declared longer: ends too short
                rec.declared = len + 1 + (how >> 6);
                rec.fails = true;
                break;
            case 3:  // declared shorter: a piece goes past it
                if (len > 0) {
                    rec.declared = len - 1 - std::min<std::size_t>(len - 1, how >> 6);
                    rec.fails = true;
                }
                break;
            default:
                if (how & 0x40) {
                    rec.abort_at = script_.cycle() % (len + 1);
                    rec.fails = true;
                }
                break;
            }
            if (rec.declared != UINT64_MAX) {
                spec.framing = lesto::http::Framing::length;
                spec.content_length = rec.declared;
            } else {
                rec.close_framed = rec.req.version_minor == 0;
            }
        }
        cutting = true;
        const OpenStatus st = conn.respond_open(seq, spec, body);
        cutting = false;
        const OpenStatus want = !owed        ? OpenStatus::gone
                                : wants_body ? OpenStatus::open
                                             : OpenStatus::no_body;
        // Its streamed body broke first: the engine may have answered it already.
        const bool engine_answered = rec.body_error && st == OpenStatus::gone;
        FUZZ_CHECK(st == want || engine_answered,
                   "respond_open gave " + std::to_string(static_cast<int>(st)) + ", want " +
                       std::to_string(static_cast<int>(want)));
        rec.open_status = st;
        if (st == OpenStatus::gone) {
            rec.open = Record::Open::no;
            if (rec.body_error) std::erase(pending, seq);
            return;
        }
        if (st == OpenStatus::no_body) rec.body.clear();
        if (st != OpenStatus::open) rec.fails = false, rec.close_framed = false;
        if (rec.close_framed || !spec.keep_alive) cut_seen = true;
        rec.answered = true;
        rec.valid = true;
        if (const auto it = std::find(pending.begin(), pending.end(), seq); it != pending.end())
            pending.erase(it);
        sync(conn);
    }

    /// After a cut: the requests no longer owed were dropped; pending ones are forgotten.
    void sync(Connection& conn) {
        std::erase_if(pending, [&](std::uint64_t seq) {
            if (conn.owes(seq)) return false;
            if (records[seq].body_error) return true;  // perhaps answered by the engine
            const bool was_abandoned =
                std::find(abandoned.begin(), abandoned.end(), &tokens_[seq]) != abandoned.end();
            FUZZ_CHECK(was_abandoned == records[seq].token, "a dropped request's token");
            dropped = true;
            return true;
        });
    }

    /// Streams that can move (not ended, not waiting).
    std::vector<std::uint64_t> movable() const {
        std::vector<std::uint64_t> v;
        for (std::uint64_t i = 0; i < records.size(); ++i) {
            const Record& r = records[i];
            if (r.open == Record::Open::stream && r.open_status == OpenStatus::open && !r.ended &&
                !r.waiting)
                v.push_back(i);
        }
        return v;
    }

    /// One move of a stream chosen by `op`: a piece, its end, its abort. False when none can move.
    bool move_stream(Connection& conn, std::uint8_t op) {
        const std::vector<std::uint64_t> v = movable();
        if (v.empty()) return false;
        const std::uint64_t seq = v[op % v.size()];
        Record& rec = records[seq];
        const std::size_t len = rec.body.size();
        cutting = true;
        if (rec.written >= rec.abort_at) {
            conn.stream_abort(seq);
            FUZZ_CHECK(rec.finished == 1 && rec.how == BodyEnd::failed, "abort did not fail it");
        } else if (rec.written == len) {
            const StreamStatus st = conn.stream_end(seq);
            const bool short_ = rec.declared != UINT64_MAX && rec.declared > len;
            FUZZ_CHECK(st == (short_ ? StreamStatus::too_short : StreamStatus::ok),
                       "stream_end gave " + std::to_string(static_cast<int>(st)));
            FUZZ_CHECK(rec.finished == 1 && rec.how == (short_ ? BodyEnd::failed : BodyEnd::sent),
                       "stream_end did not finish it");
        } else {
            const std::size_t n = std::min<std::size_t>(len - rec.written, 1 + (op >> 2) % 64);
            const StreamStatus st =
                conn.stream_write(seq, std::string_view(rec.body).substr(rec.written, n));
            const bool long_ = rec.declared != UINT64_MAX && rec.written + n > rec.declared;
            if (long_) {
                FUZZ_CHECK(
                    st == StreamStatus::too_long && rec.finished == 1 && rec.how == BodyEnd::failed,
                    "a piece past the declared length: " + std::to_string(static_cast<int>(st)));
            } else {
                FUZZ_CHECK(st == StreamStatus::ok || st == StreamStatus::full,
                           "stream_write gave " + std::to_string(static_cast<int>(st)));
                rec.written += n;
                rec.waiting = st == StreamStatus::full;
                FUZZ_CHECK(conn.stream_ready(seq) == !rec.waiting, "stream_ready");
            }
        }
        rec.ended = rec.ended || rec.finished != 0;
        cutting = false;
        sync(conn);
        return true;
    }
    /// Answer `seq`; invalid answers must be refused (and become a 500).
    void answer(Connection& conn, std::uint64_t seq, bool valid) {
        Record& rec = records[seq];
        if (!conn.owes(seq)) {  // dropped behind a cut, or already sent (an engine error)
            if (rec.body_error) std::erase(pending, seq);
            return;
        }
        const std::string seq_text = std::to_string(seq);
        const std::string body = "seq=" + seq_text;
        lesto::http::Header headers[2] = {{"X-Seq", seq_text}, {"Bad Name", "x"}};
        lesto::http::ResponseSpec spec;
        spec.content_type = "text/plain";
        spec.body = body;
        spec.version_minor = static_cast<std::uint8_t>(rec.req.version_minor);
        spec.headers = std::span<const lesto::http::Header>(headers, valid ? 1 : 2);
        const bool ok = conn.respond(seq, spec);
        if (rec.answered) return;  // a repeat: ignored, whatever it returned
        FUZZ_CHECK(ok == valid, "respond() returned " + std::to_string(ok));
        rec.answered = true;
        rec.valid = valid;
        if (const auto it = std::find(pending.begin(), pending.end(), seq); it != pending.end())
            pending.erase(it);
    }

    /// Answer one deferred request, chosen by `pick`; a few invalidly, some open.
    void answer_one(Connection& conn, std::uint8_t pick) {
        if (pending.empty()) return;
        const std::uint64_t seq = pending[pick % pending.size()];
        if (open_bodies && (pick & 0x10)) {
            answer_open(conn, seq, script_.cycle());
            return;
        }
        answer(conn, seq, (pick & 0xe0) != 0xe0);
    }

    std::vector<Record> records;  // by seq
    std::vector<std::uint64_t> pending;
    std::vector<void*> abandoned;
    bool destroying = false;
    bool refusing = false;
    bool cutting = false;  // in a call that may cut the connection short
    bool finished_seen = false;
    bool open_bodies = false;
    bool streams = false;        // bit 4: request bodies under /s stream
    bool stream_broken = false;  // a streamed body broke: the engine answered, nothing follows
    bool cut_seen = false;  // an answer ended the connection early: requests behind it are dropped
    bool dropped = false;   // some deferred request was dropped so
    std::deque<std::uint64_t>
        tokens_;  // &tokens_[seq] is the token of seq (a deque keeps addresses)
    std::deque<std::uint64_t> body_tokens_;    // &body_tokens_[seq]: the token of seq's open body
    std::deque<std::uint64_t> reader_tokens_;  // &reader_tokens_[seq]: seq's body reader

private:
    Choices& script_;
    Connection* conn_ = nullptr;
};

// ---- the driver --------------------------------------------------------------------------

class Driver {
public:
    Driver(std::string_view wire, const ConnectionLimits& limits, Choices& script, App& app,
           Connection& conn, bool timeouts, bool drains)
        : wire_(wire), limits_(limits), script_(script), app_(app), conn_(conn),
          timeouts_(timeouts), drains_(drains) {}

    /// Bytes as the socket layer would deliver them, until the wire is used
    /// up or the connection wants no more.
    void feed_wire() {
        for (int step = 0; step < max_steps; ++step) {
            const std::uint8_t op = script_.cycle();
            if (conn_.wants_input()) {
                if (pos_ == wire_.size()) {
                    conn_.input_closed();
                    process();
                    return;
                }
                read(op);
                if ((op & 0x10) && pos_ < wire_.size())
                    read(script_.cycle());  // two reads, one process()
                if ((op & 0x20) && pos_ == wire_.size())
                    conn_.input_closed();  // EOF in the same batch
                process();
                if (timeouts_ && op % 16 == 14 && (conn_.reading_head() || conn_.reading_body())) {
                    conn_.abort(408, "request timeout");
                    aborted_ = true;
                    process();
                }
                if (drains_ && op % 16 == 13) {
                    conn_.stop_reading();
                    drained_ = true;
                    process();
                }
                if (op & 0x40) drain(script_.cycle());
                if (op & 0x80) answer_some(script_.cycle());
                if (app_.open_bodies && (op & 0x08)) {
                    app_.move_stream(conn_, script_.cycle());
                    process();
                }
                if (app_.streams) {
                    const std::uint8_t a = script_.cycle();
                    if ((a & 1) && app_.ask_one(conn_, a >> 1)) process();
                }
                continue;
            }
            // Not reading: closing (nothing more will be read), or paused until
            // the application answers or the output drains.
            const bool paused = conn_.in_flight() >= limits_.max_in_flight ||
                                conn_.output().size() >= limits_.max_output_buffer;
            if (!paused || !service(op)) return;
        }
        FUZZ_CHECK(false, "the driver does not terminate");
    }

    /// Answer everything deferred, in script order, until nothing more comes.
    void answer_everything() {
        for (int step = 0; step < max_steps; ++step) {
            if (!service(script_.cycle())) return;
        }
        FUZZ_CHECK(false, "answering does not terminate");
    }

    void drain_all() {
        log_ += conn_.output().view();
        conn_.output_sent(conn_.output().size());
        check_state();
    }

    const std::string& log() const noexcept { return log_; }
    bool aborted() const noexcept { return aborted_; }
    bool drained() const noexcept { return drained_; }

private:
    static constexpr std::size_t piece_sizes[16] = {0,  1,  2,  3,  4,   5,   7,    8,
                                                    13, 16, 31, 64, 100, 256, 1000, 4096};

    void read(std::uint8_t op) {
        std::size_t n = piece_sizes[op & 15];
        if (n == 0 || n > wire_.size() - pos_) n = wire_.size() - pos_;
        const std::span<char> space = conn_.input_space(n);
        FUZZ_CHECK(space.size() >= n, "input_space smaller than asked");
        std::memcpy(space.data(), wire_.data() + pos_, n);
        conn_.input_commit(n);
        pos_ += n;
    }

    void process() {
        conn_.process();
        check_state();
        // As the server does after every service round: empty buffers are freed.
        conn_.release_idle_buffers();
    }

    void drain(std::uint8_t amount) {
        if (conn_.output().empty() && conn_.file_to_send()) {
            send_file(amount);
            return;
        }
        const std::size_t n =
            std::min<std::size_t>(conn_.output().size(), amount == 0 ? SIZE_MAX : amount * 8u);
        log_ += conn_.output().view().substr(0, n);
        conn_.output_sent(n);
        check_state();
    }

    /// As the socket layer sends a file: [offset, offset + remaining) read
    /// with pread, a part at a time; now and then the file "shrank" (0 sent).
    void send_file(std::uint8_t amount) {
        const OpenBody f = *conn_.file_to_send();
        const std::uint64_t seq = app_.body_seq(f.token);
        Record& rec = app_.records[seq];
        app_.cutting = true;
        if (amount % 32 == 31) {
            rec.fails = true;
            conn_.file_sent(0);
            FUZZ_CHECK(rec.finished == 1 && rec.how == BodyEnd::failed, "a shrunk file not failed");
        } else {
            const std::size_t n = std::min<std::uint64_t>(f.remaining, 1 + amount * 4u);
            std::string bytes(n, '\0');
            const ssize_t got = ::pread(f.fd, bytes.data(), n, static_cast<off_t>(f.offset));
            FUZZ_CHECK(got == static_cast<ssize_t>(n), "pread gave " + std::to_string(got));
            log_ += bytes;
            conn_.file_sent(n);
            FUZZ_CHECK((rec.finished == 1) == (n == f.remaining), "a file finished early or late");
        }
        app_.cutting = false;
        app_.sync(conn_);
        check_state();
    }

    void answer_some(std::uint8_t pick) {
        for (int k = pick >> 6; k >= 0; --k)
            app_.answer_one(conn_, static_cast<std::uint8_t>(pick + k * 37));
        check_state();
    }

    /// One move of the application or the socket; false when neither has any left.
    bool service(std::uint8_t op) {
        if (!app_.movable().empty() && (op & 2)) {
            app_.move_stream(conn_, script_.cycle());
        } else if ((op & 4) && app_.ask_one(conn_, op >> 3)) {
        } else if (!app_.pending.empty() && (op & 1)) {
            answer_some(op);
        } else if (conn_.sending()) {
            drain(op >> 1);
        } else if (!app_.pending.empty()) {
            answer_some(op);
        } else if (app_.move_stream(conn_, script_.cycle())) {
        } else if (app_.ask_one(conn_, op)) {
        } else {
            const std::uint64_t before = app_.records.size();
            const std::size_t out_before = conn_.output().size();
            process();
            if (app_.records.size() == before && conn_.output().size() == out_before) return false;
            return true;
        }
        process();
        return true;
    }

    void check_state() {
        const std::size_t in_flight = conn_.in_flight();
        // abort() may open one more slot, for its 408, on top of a full pipeline.
        FUZZ_CHECK(in_flight <= limits_.max_in_flight + (aborted_ ? 1 : 0),
                   std::to_string(in_flight));
        // Every request in flight may have an answer waiting in its slot,
        // and the last one to arrive may overshoot the output limit.
        const std::size_t bound = limits_.max_output_buffer + limits_.max_stream_buffer +
                                  (limits_.max_in_flight + 2) * max_response;
        FUZZ_CHECK(conn_.output().size() <= bound, std::to_string(conn_.output().size()));
        // In flight: from the first deferred (or past the last) to the last
        // seq opened, which is a dispatched one or an engine error.
        const std::uint64_t opened = app_.records.size();
        std::uint64_t first_owed =
            app_.pending.empty() ? opened
                                 : *std::min_element(app_.pending.begin(), app_.pending.end());
        // An open body still going out keeps its request in flight.
        for (std::uint64_t i = 0; i < first_owed; ++i) {
            const Record& r = app_.records[i];
            if (r.open_status == OpenStatus::open && r.finished == 0) first_owed = i;
        }
        // A cut drops the requests behind it: the count is the connection's own then.
        FUZZ_CHECK(app_.cut_seen || app_.dropped || app_.stream_broken ||
                       in_flight == opened - first_owed || in_flight == opened + 1 - first_owed,
                   "in_flight " + std::to_string(in_flight) + " with " + std::to_string(opened) +
                       " dispatched");
        const std::size_t produced = log_.size() + conn_.output().size();
        if (conn_.finished()) {
            FUZZ_CHECK(!conn_.wants_input(), "finished but wants input");
            FUZZ_CHECK(in_flight == 0, "finished with requests in flight");
            if (app_.finished_seen)
                FUZZ_CHECK(produced == produced_when_finished_, "output after finished()");
            if (!app_.finished_seen) produced_when_finished_ = produced;
            app_.finished_seen = true;
        }
    }

    std::string_view wire_;
    const ConnectionLimits& limits_;
    Choices& script_;
    App& app_;
    Connection& conn_;
    std::size_t pos_ = 0;
    std::string log_;
    std::size_t produced_when_finished_ = 0;
    bool timeouts_;
    bool drains_;
    bool aborted_ = false;
    bool drained_ = false;
};

/// `got` holds every token of `want` and, besides, only some of `maybe`, each once.
bool abandoned_as_expected(std::vector<void*> got, std::vector<void*> want,
                           const std::vector<void*>& maybe) {
    std::sort(got.begin(), got.end());
    if (std::adjacent_find(got.begin(), got.end()) != got.end()) return false;
    for (void* t : got) {
        if (std::find(maybe.begin(), maybe.end(), t) == maybe.end()) continue;
        want.push_back(t);
    }
    std::sort(want.begin(), want.end());
    return got == want;
}

/// What the end of the grace period did: at most one of the two is set.
struct Stop {
    std::int64_t refused = -1;  // the seq answered 503
    std::int64_t cut = -1;      // the seq whose open body was going out, cut short
};

/// The grace period ends (refuse_unanswered): the first request still owed
/// decides. An open body going out is cut, with no 503 after it; a request
/// not answered yet gets the 503. Either way nothing follows: the deferred
/// requests behind are abandoned and the open bodies behind closed, all at
/// once, and the connection is finished. `want`: the tokens of the deferred
/// requests left.
Stop end_grace_period(Connection& conn, App& app, const std::vector<void*>& want,
                      const std::vector<void*>& maybe) {
    // The first request owed: a deferred one, or an open body still going out
    // (an answer ready at its turn leaves at once, so it is never one).
    std::uint64_t first = app.records.size();
    for (const std::uint64_t seq : app.pending)
        if (conn.owes(seq)) first = std::min(first, seq);
    for (std::uint64_t i = 0; i < first; ++i) {
        const Record& r = app.records[i];
        if (r.open_status == OpenStatus::open && r.finished == 0) first = i;
    }
    const bool owed = first < app.records.size();
    FUZZ_CHECK(owed == (conn.in_flight() > 0), "in flight, yet nothing deferred or open");
    Stop stop;
    if (owed && app.records[first].open_status == OpenStatus::open) {
        stop.cut = static_cast<std::int64_t>(first);
    } else if (owed) {
        stop.refused = static_cast<std::int64_t>(first);
    }
    std::vector<std::uint64_t> open;  // open bodies not ended yet
    for (std::uint64_t i = 0; i < app.records.size(); ++i) {
        const Record& r = app.records[i];
        if (r.open_status == OpenStatus::open && r.finished == 0) open.push_back(i);
    }
    const std::size_t abandoned_before = app.abandoned.size();
    app.refusing = true;
    FUZZ_CHECK(conn.refuse_unanswered() == (stop.refused >= 0), "refuse_unanswered's result");
    app.refusing = false;
    FUZZ_CHECK(conn.finished() && conn.in_flight() == 0 && !conn.wants_input(),
               "not finished after refuse_unanswered");
    const std::vector<void*> got(
        app.abandoned.begin() + static_cast<std::ptrdiff_t>(abandoned_before), app.abandoned.end());
    FUZZ_CHECK(abandoned_as_expected(got, want, maybe),
               std::to_string(got.size()) + " abandoned by the stop, " +
                   std::to_string(want.size()) + " expected");
    for (const std::uint64_t seq : app.pending)
        FUZZ_CHECK(!conn.owes(seq), "still owes a refused request");
    app.pending.clear();  // answering them now does nothing
    // Every open body has ended: the one cut failed, those behind abandoned.
    for (const std::uint64_t i : open) {
        const Record& r = app.records[i];
        FUZZ_CHECK(r.finished == 1, "seq " + std::to_string(i) + ": an open body left open");
        const BodyEnd how =
            static_cast<std::int64_t>(i) == stop.cut ? BodyEnd::failed : BodyEnd::abandoned;
        FUZZ_CHECK(r.how == how, "seq " + std::to_string(i) + ": ended as " +
                                     std::to_string(static_cast<int>(r.how)));
    }
    app.cut_seen = true;
    return stop;
}

/// The responses against what was dispatched and answered, and against the bare parser.
void check_output(const std::vector<Response>& rs, const App& app, const Expected& exp,
                  bool everything_answered, bool aborted, bool drained, const Stop& stop) {
    const std::int64_t refused = stop.refused;
    const auto& recs = app.records;
    // Dispatched requests are the bare parser's, in order.
    // A streamed request is dispatched at its head: the last may be one the
    // wire never completed (its body cut off, or broken).
    const bool unfinished_last = recs.size() == exp.requests.size() + 1;
    const std::size_t complete = recs.size() - (unfinished_last ? 1 : 0);
    FUZZ_CHECK(recs.size() <= exp.requests.size() + 1,
               std::to_string(recs.size()) + " dispatched, " + std::to_string(exp.requests.size()) +
                   " in the wire");
    FUZZ_CHECK(!unfinished_last || (recs.back().streamed && !recs.back().complete),
               "an unfinished request dispatched, its body not streamed");
    for (std::size_t i = 0; i < recs.size(); ++i) {
        const Request& a = recs[i].req;
        const Request& b = i < exp.requests.size() ? exp.requests[i] : exp.next;
        // A streamed body read to its end is the parser's; else a prefix of
        // it (the parser's own, when it found the body unfinished, is a
        // prefix too: then either may be longer).
        const bool body_ok = !recs[i].streamed || recs[i].complete
                                 ? a.body == b.body
                                 : (b.body.starts_with(a.body) ||
                                    (i == exp.requests.size() && a.body.starts_with(b.body)));
        FUZZ_CHECK(a.method == b.method && a.target == b.target && body_ok &&
                       a.keep_alive == b.keep_alive,
                   "request " + std::to_string(i) + ": " + escape(a.method) + " " +
                       escape(a.target) + " body '" + escape(a.body) + "' vs " + escape(b.method) +
                       " " + escape(b.target) + " body '" + escape(b.body) + "'");
    }
    // Reading stops early only when the connection closes, after the last
    // request it will serve: once everything is answered, all were served.
    // An abort() ends the connection early: what was still to come is not served.
    const bool all_served = everything_answered && !aborted && !drained && !app.cut_seen &&
                            !app.dropped && !app.stream_broken;
    // The parser's error in the body of the unfinished streamed request is its answer.
    const int error = aborted ? 408 : (unfinished_last ? 0 : exp.error);
    if (all_served) {
        FUZZ_CHECK(complete == exp.requests.size(),
                   std::to_string(complete) + " dispatched of the " +
                       std::to_string(exp.requests.size()) +
                       " complete requests sent before the client closed");
    }

    std::size_t k = 0;  // final responses seen
    bool interim = false;
    for (std::size_t i = 0; i < rs.size(); ++i) {
        const Response& r = rs[i];
        const bool close = r.says("Connection", "close");
        const bool keep_alive = r.says("Connection", "keep-alive");
        const std::string at = "response " + std::to_string(k);
        if (r.status == 100) {
            FUZZ_CHECK(!interim, at + ": two 100 Continue in a row");
            // It belongs to request k: all earlier ones were answered, and k asked for it.
            const bool asked = k < recs.size()
                                   ? recs[k].req.expect_continue
                                   : (k < exp.requests.size() ? exp.requests[k].expect_continue
                                                              : exp.next_expects);
            FUZZ_CHECK(asked, at + ": 100 Continue for a request that did not ask");
            FUZZ_CHECK(r.body.empty() && !close, at + ": 100 Continue with content");
            interim = true;
            continue;
        }
        interim = false;
        if (refused >= 0 && k == static_cast<std::size_t>(refused)) {
            FUZZ_CHECK(r.status == 503 && close && r.field("X-Seq").empty(),
                       at + ": the end of the grace period gave " + std::to_string(r.status));
            FUZZ_CHECK(i + 1 == rs.size(), at + ": a response after the 503");
            ++k;
            continue;
        }
        if (k < recs.size() && recs[k].open != Record::Open::no) {
            // An open answer: its body whole, or cut short as the last thing sent.
            const Record& rec = recs[k];
            const bool last = i + 1 == rs.size();
            if (r.status == 500) {
                FUZZ_CHECK(rec.fails && close && last, at + ": a 500 for an open body");
            } else {
                const int want = rec.status;
                FUZZ_CHECK(r.status == want && r.field("X-Seq") == std::to_string(k),
                           at + ": status " + std::to_string(r.status));
                FUZZ_CHECK(!keep_alive || !rec.close_framed, at + ": keep-alive on a close");
                if (r.cut || rec.fails || static_cast<std::int64_t>(k) == stop.cut) {
                    FUZZ_CHECK(last, at + ": a response after a cut one");
                    FUZZ_CHECK(std::string_view(rec.body).substr(0, r.body.size()) == r.body,
                               at + ": cut body '" + escape(r.body) + "' of '" + escape(rec.body) +
                                   "'");
                    FUZZ_CHECK(!rec.close_framed || r.cut, at + ": a close-framed body framed");
                } else {
                    FUZZ_CHECK(r.body == rec.body, at + ": body '" + escape(r.body) + "', want '" +
                                                       escape(rec.body) + "'");
                }
            }
            ++k;
            continue;
        }
        // A streamed body that ended early (cut off or broken): the
        // connection ends with its request's answer, the app's or, if the
        // framing broke first, the decoder's error.
        const bool ended_early =
            k < recs.size() && (recs[k].body_error || (unfinished_last && k + 1 == recs.size()));
        if (ended_early) {
            FUZZ_CHECK(i + 1 == rs.size(), at + ": a response after a broken body");
            // The app's own invalid answer is a 500 too: it follows below.
            const bool apps_500 = r.status == 500 && recs[k].answered && !recs[k].valid;
            if (r.status >= 400 && r.field("X-Seq").empty() && !apps_500) {
                FUZZ_CHECK(close, at + ": a broken body's error does not close");
                ++k;
                continue;
            }
        }
        if (k < recs.size()) {
            const Record& rec = recs[k];
            FUZZ_CHECK(rec.answered, at + ": a response to a request never answered");
            if (rec.valid) {
                FUZZ_CHECK(r.status == 200 && r.field("X-Seq") == std::to_string(k) &&
                               r.body == "seq=" + std::to_string(k),
                           at + ": status " + std::to_string(r.status) + " X-Seq " +
                               std::string(r.field("X-Seq")) + " body " + escape(r.body));
            } else {
                FUZZ_CHECK(r.status == 500 && r.field("X-Seq").empty(),
                           at + ": " + std::to_string(r.status));
            }
            const bool last = !rec.req.keep_alive;
            // Draining closes after the last request received, whose answer
            // says so when it was still owed at that moment.
            const bool drained_last = drained && k + 1 == recs.size();
            if (ended_early) {
                // Made before or after the body ended: it says close or not.
            } else if (drained_last && !last) {
                FUZZ_CHECK(!close || rec.req.version_minor == 1 || !rec.valid,
                           at + ": close on 1.0");
            } else if (rec.valid) {
                FUZZ_CHECK(close == (last && rec.req.version_minor == 1),
                           at + ": Connection: close");
                FUZZ_CHECK(keep_alive == (!last && rec.req.version_minor == 0),
                           at + ": Connection: keep-alive");
            } else {
                FUZZ_CHECK(close == last, at + ": Connection: close on a 500");
            }
        } else {
            // No request was dispatched for it: the engine's own error, last.
            FUZZ_CHECK(k == recs.size() && error != 0 && r.status == error,
                       at + ": status " + std::to_string(r.status) + ", the parser says " +
                           std::to_string(error));
            FUZZ_CHECK(close && i + 1 == rs.size(), at + ": the error does not close");
        }
        ++k;
    }
    if (refused >= 0) {
        FUZZ_CHECK(k == static_cast<std::size_t>(refused) + 1,
                   std::to_string(k) + " responses, the 503 answering seq " +
                       std::to_string(refused));
    }
    if (stop.cut >= 0) {
        FUZZ_CHECK(k == static_cast<std::size_t>(stop.cut) + 1,
                   std::to_string(k) + " responses, the stop cutting seq " +
                       std::to_string(stop.cut));
    }
    if (all_served ||
        (everything_answered && aborted && !app.cut_seen && !app.dropped && !app.stream_broken)) {
        const std::size_t owed = recs.size() + (error != 0 ? 1 : 0);
        FUZZ_CHECK(k == owed,
                   std::to_string(k) + " responses for " + std::to_string(owed) + " owed");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const lesto::fuzz::Split fixed = lesto::fuzz::split_input(data, size, fixed_control);
    Choices c(fixed.control);
    const lesto::fuzz::Controls k = lesto::fuzz::read_controls(c);
    const std::uint8_t options = k.options;
    ConnectionLimits limits{k.limits};
    if (const std::uint8_t k = c.byte()) limits.max_in_flight = 1 + k % 8;
    if (const std::uint8_t k = c.byte()) limits.max_output_buffer = std::size_t{k} * 8;
    if (const std::uint8_t k = c.byte()) limits.max_stream_buffer = k;
    // A streamed body's bound is the bare parser's, so the two agree on the wire.
    if (options & 16) limits.max_stream_body_bytes = limits.max_body_bytes;
    const std::size_t script_size = std::min<std::size_t>(c.byte(), fixed.payload.size());
    Choices script(fixed.payload.substr(0, script_size));
    const std::string_view wire = fixed.payload.substr(script_size);

    auto& ctx = lesto::fuzz::context();
    ctx.wire = wire;
    ctx.limits = lesto::fuzz::describe(limits);
    ctx.split = "script " + escape(fixed.payload.substr(0, script_size));

    const Expected exp = expected_of(wire, limits);
    const lesto::http::DateCache date;
    App app(script);
    app.open_bodies = options & 32;
    app.streams = options & 16;
    const std::size_t fds_before = app.open_bodies ? open_fds() : 0;
    std::vector<Response> responses;
    bool everything_answered = false;
    bool aborted = false;
    bool drained = false;
    Stop stop;
    std::vector<void*> want;   // the tokens to abandon: of the deferred requests left unanswered
    std::vector<void*> maybe;  // and those that may have been answered by an engine error
    {
        Connection conn(1, limits, app, date);
        Driver driver(wire, limits, script, app, conn, options & 2, options & 4);
        driver.feed_wire();
        everything_answered = (script.cycle() & 3) != 3;
        if (everything_answered) {
            driver.answer_everything();
            driver.drain_all();
            FUZZ_CHECK(app.pending.empty(), "answer_everything left some");
            // The peer closed or the connection is closing, and nothing is owed:
            // the socket can close, and finished() must say so.
            FUZZ_CHECK(conn.finished(),
                       "everything answered and sent, input closed, yet not finished");
        } else {
            for (const std::uint64_t seq : app.pending) {
                if (!app.records[seq].token) continue;
                // One the engine answered after its body broke has nothing to abandon.
                (app.records[seq].body_error ? maybe : want).push_back(&app.tokens_[seq]);
            }
            if (options & 8) stop = end_grace_period(conn, app, want, maybe);
            driver.drain_all();
        }
        responses = app.open_bodies
                        ? lesto::test::read_responses_until_close(driver.log(), lesto::fuzz::broken)
                        : lesto::test::read_responses(driver.log(), lesto::fuzz::broken);
        // Everything sent, a response cut off is the end of the connection.
        if (everything_answered && !responses.empty() && responses.back().cut)
            FUZZ_CHECK(conn.finished(), "a cut response, and the connection goes on");
        aborted = driver.aborted();
        drained = driver.drained();
        app.destroying = true;
    }
    // Abandoned: exactly the deferred requests with a token left unanswered.
    FUZZ_CHECK(app.dropped || abandoned_as_expected(app.abandoned, want, maybe),
               std::to_string(app.abandoned.size()) + " abandoned, " + std::to_string(want.size()) +
                   " expected");
    // Every open body heard its end once, and gave its fd back.
    for (std::size_t i = 0; i < app.records.size(); ++i) {
        const Record& r = app.records[i];
        FUZZ_CHECK(r.finished == (r.open_status == OpenStatus::open ? 1 : 0),
                   "seq " + std::to_string(i) + ": body_finished " + std::to_string(r.finished) +
                       " times");
    }
    // Every reader of a streamed body heard its end: its last piece or an error.
    for (std::size_t i = 0; i < app.records.size(); ++i)
        FUZZ_CHECK(!app.records[i].reading, "seq " + std::to_string(i) + ": a reader never ended");
    if (app.open_bodies)
        FUZZ_CHECK(open_fds() == fds_before, std::to_string(open_fds()) + " fds open, " +
                                                 std::to_string(fds_before) + " before");

    check_output(responses, app, exp, everything_answered, aborted, drained, stop);
    return 0;
}
