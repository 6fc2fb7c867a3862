// connection_fuzz.cpp: Connection driven by a scripted application and socket: ordering, closing,
// backpressure.
//
// Input: 10 control bytes, a script, then the wire.
//   [0] bit 0: small parser limits from the knobs; bit 1: timeouts (the
//       script may abort() a request still arriving with 408, as the
//       server's tick does); bit 2: graceful drain (the script may call
//       stop_reading(), as a server shutting down does); bit 3: when not
//       everything gets answered, the grace period ends (refuse_unanswered())
//   [1..6] limit knobs (fuzz_util.hpp limits_from)
//   [7] max_in_flight: 0 keeps the default, else 1..8
//   [8] max_output_buffer: 0 keeps the default, else 8..2040 bytes
//   [9] script length L, then L script bytes (read cyclically; none: all 0)
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
// deferred requests left unanswered. When the grace period ends: the first
// request still owed gets a 503 with Connection: close and nothing follows
// it, the connection is finished, and the deferred requests are abandoned
// then rather than by the destructor.
#include "fuzz_util.hpp"
#include "pipeline/connection.hpp"
#include "response/writer.hpp"
#include "support/bytes.hpp"
#include "support/replay.hpp"
#include "support/responses.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace {

using lesto::Connection;
using lesto::ConnectionLimits;
using lesto::RequestRef;
using lesto::fuzz::Choices;
using lesto::http::BodyKind;
using lesto::http::Limits;
using lesto::http::ParseStatus;
using namespace lesto::test;

constexpr std::size_t fixed_control = 10;
constexpr std::size_t max_response = 1024;  // a bound on every response this target can cause
constexpr int max_steps = 100000;

// ---- what a bare parser makes of the wire -------------------------------------------

struct Expected {
    std::vector<Request> requests;  // complete, in order, up to the first that closes
    int error = 0;                  // the engine's error status after them; 0 for none
    bool next_expects = false;      // the request after them (unfinished or refused) has a complete
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
};

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
        if (h.body_kind == BodyKind::content_length)
            FUZZ_CHECK(r.body.size() == h.content_length, std::to_string(r.body.size()));
        if (!r.has_body) FUZZ_CHECK(r.body.empty(), "a body without framing");

        Record rec;
        rec.req = lesto::test::take(h);
        rec.req.body = r.body;
        records.push_back(std::move(rec));
        tokens_.push_back(seq);

        const std::uint8_t d = script_.cycle();
        if (d & 0x40) answer_one(conn, script_.cycle());  // re-entrant: an earlier one first
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

    void abandon(void* token) noexcept override {
        FUZZ_CHECK(destroying || refusing, "abandon outside the destructor and refuse_unanswered");
        abandoned.push_back(token);
    }

    /// Answer `seq`; invalid answers must be refused (and become a 500).
    void answer(Connection& conn, std::uint64_t seq, bool valid) {
        Record& rec = records[seq];
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

    /// Answer one deferred request, chosen by `pick`; a few invalidly.
    void answer_one(Connection& conn, std::uint8_t pick) {
        if (pending.empty()) return;
        const std::uint64_t seq = pending[pick % pending.size()];
        answer(conn, seq, (pick & 0xe0) != 0xe0);
    }

    std::vector<Record> records;  // by seq
    std::vector<std::uint64_t> pending;
    std::vector<void*> abandoned;
    bool destroying = false;
    bool refusing = false;
    bool finished_seen = false;
    std::deque<std::uint64_t>
        tokens_;  // &tokens_[seq] is the token of seq (a deque keeps addresses)

private:
    Choices& script_;
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
        const std::size_t n =
            std::min<std::size_t>(conn_.output().size(), amount == 0 ? SIZE_MAX : amount * 8u);
        log_ += conn_.output().view().substr(0, n);
        conn_.output_sent(n);
        check_state();
    }

    void answer_some(std::uint8_t pick) {
        for (int k = pick >> 6; k >= 0; --k)
            app_.answer_one(conn_, static_cast<std::uint8_t>(pick + k * 37));
        check_state();
    }

    /// One move of the application or the socket; false when neither has any left.
    bool service(std::uint8_t op) {
        if (!app_.pending.empty() && (op & 1)) {
            answer_some(op);
        } else if (!conn_.output().empty()) {
            drain(op >> 1);
        } else if (!app_.pending.empty()) {
            answer_some(op);
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
        const std::size_t bound =
            limits_.max_output_buffer + (limits_.max_in_flight + 2) * max_response;
        FUZZ_CHECK(conn_.output().size() <= bound, std::to_string(conn_.output().size()));
        // In flight: from the first deferred (or past the last) to the last
        // seq opened, which is a dispatched one or an engine error.
        const std::uint64_t opened = app_.records.size();
        const std::uint64_t first_owed =
            app_.pending.empty() ? opened
                                 : *std::min_element(app_.pending.begin(), app_.pending.end());
        FUZZ_CHECK(in_flight == opened - first_owed || in_flight == opened + 1 - first_owed,
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

/// The responses against what was dispatched and answered, and against the bare parser.
/// `refused`: the seq answered 503 when the grace period ended, or -1.
void check_output(const std::vector<Response>& rs, const App& app, const Expected& exp,
                  bool everything_answered, bool aborted, bool drained, std::int64_t refused) {
    const auto& recs = app.records;
    // Dispatched requests are the bare parser's, in order.
    FUZZ_CHECK(recs.size() <= exp.requests.size(), std::to_string(recs.size()) + " dispatched, " +
                                                       std::to_string(exp.requests.size()) +
                                                       " in the wire");
    for (std::size_t i = 0; i < recs.size(); ++i) {
        const Request& a = recs[i].req;
        const Request& b = exp.requests[i];
        FUZZ_CHECK(a.method == b.method && a.target == b.target && a.body == b.body &&
                       a.keep_alive == b.keep_alive,
                   "request " + std::to_string(i) + ": " + escape(a.method) + " " +
                       escape(a.target) + " body '" + escape(a.body) + "' vs " + escape(b.method) +
                       " " + escape(b.target) + " body '" + escape(b.body) + "'");
    }
    // Reading stops early only when the connection closes, after the last
    // request it will serve: once everything is answered, all were served.
    // An abort() ends the connection early: what was still to come is not served.
    const bool all_served = everything_answered && !aborted && !drained;
    const int error = aborted ? 408 : exp.error;
    if (all_served) {
        FUZZ_CHECK(recs.size() == exp.requests.size(),
                   std::to_string(recs.size()) + " dispatched of the " +
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
            if (drained_last && !last) {
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
    if (all_served || (everything_answered && aborted)) {
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
    std::vector<Response> responses;
    bool everything_answered = false;
    bool aborted = false;
    bool drained = false;
    std::int64_t refused = -1;
    std::vector<void*> want;  // the tokens to abandon: of the deferred requests left unanswered
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
            for (const std::uint64_t seq : app.pending)
                if (app.records[seq].token) want.push_back(&app.tokens_[seq]);
            if (options & 8) {
                // The grace period ends: the first request owed is answered 503.
                // The first request owed is always a deferred one: an answer
                // ready at its turn leaves at once.
                const bool owed = conn.in_flight() > 0;
                FUZZ_CHECK(owed == !app.pending.empty(), "owed without a deferred request");
                if (owed)
                    refused = static_cast<std::int64_t>(
                        *std::min_element(app.pending.begin(), app.pending.end()));
                app.refusing = true;
                FUZZ_CHECK(conn.refuse_unanswered() == owed, "refuse_unanswered's result");
                app.refusing = false;
                FUZZ_CHECK(conn.finished() && conn.in_flight() == 0 && !conn.wants_input(),
                           "not finished after refuse_unanswered");
                FUZZ_CHECK(app.abandoned.size() == want.size(),
                           std::to_string(app.abandoned.size()) + " abandoned by the 503, " +
                               std::to_string(want.size()) + " expected");
                for (const std::uint64_t seq : app.pending)
                    FUZZ_CHECK(!conn.owes(seq), "still owes a refused request");
                app.pending.clear();  // answering them now does nothing
            }
            driver.drain_all();
        }
        responses = lesto::test::read_responses(driver.log(), lesto::fuzz::broken);
        aborted = driver.aborted();
        drained = driver.drained();
        app.destroying = true;
    }
    // Abandoned: exactly the deferred requests with a token left unanswered.
    std::vector<void*> got = app.abandoned;
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    FUZZ_CHECK(got == want, std::to_string(got.size()) + " abandoned, " +
                                std::to_string(want.size()) + " expected");

    check_output(responses, app, exp, everything_answered, aborted, drained, refused);
    return 0;
}
