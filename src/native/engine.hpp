// engine.hpp: the Dispatcher that runs application code for the C++ engine.
#pragma once

#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "asgi/asgi.hpp"
#include "files/serve.hpp"
#include "native.hpp"
#include "net/server.hpp"

namespace lesto::py {

/// Seconds of CLOCK_MONOTONIC: how long a request took, for its access line.
inline double monotonic_seconds() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct SuspendedObject;
struct TransferObject;
struct WebSocketObject;

/// The Dispatcher of one server: the only place that calls application code.
/// Whether a handler is sync or async is decided here, once, by what it returns.
class Engine final : public Dispatcher {
public:
    Engine(ServerObject* self, const ConnectionLimits& limits, const net::Timeouts& timeouts)
        : self_(self), net_(limits, timeouts, *this) {}

    ~Engine() override {
        for (OwnedRequest* o : owned_pool_) delete o;
        for (SuspendedObject* s : ready_) Py_DECREF(s);
        for (SuspendedObject* s : resuming_) Py_DECREF(s);
        Py_CLEAR(spare_);
        asgi::drop_spare(spare_call_);
        Py_CLEAR(client_host_);
        for (PyObject* h : handlers_) Py_DECREF(h);
        for (PyObject* r : routes_) Py_DECREF(r);
        Py_CLEAR(request_class_);
        Py_CLEAR(error_response_);
        Py_CLEAR(not_found_response_);
        Py_CLEAR(take_over_);
        Py_CLEAR(loop_);
        Py_CLEAR(stand_in_);
        Py_CLEAR(run_task_);
        Py_CLEAR(enter_task_);
        Py_CLEAR(leave_task_);
        Py_CLEAR(step_);
        Py_CLEAR(call_soon_);
        Py_CLEAR(flush_);
        Py_CLEAR(resume_round_);
        Py_CLEAR(access_log_);
        Py_CLEAR(callback_failed_);
        Py_CLEAR(response_refused_);
        Py_CLEAR(run_stream_);
        Py_CLEAR(run_websocket_);
        Py_CLEAR(static_refused_);
        for (files::StaticDir& d : statics_) ::close(d.root_fd);
        Py_CLEAR(response_failed_);
        Py_CLEAR(asgi_app_);
        Py_CLEAR(asgi_scope_);
        Py_CLEAR(asgi_websocket_scope_);
        Py_CLEAR(tls_event_);
        for (RequestObject* r : done_) Py_DECREF(r);
        for (TransferObject* t : starting_) Py_DECREF(reinterpret_cast<PyObject*>(t));
    }

    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& ref) override;
    void abandon(void* token) noexcept override;
    /// An ASGI app serves every request (asgi/): the front-end, not the routes.
    void dispatch_asgi(Connection& conn, std::uint64_t seq, const RequestRef& ref);
    /// Coroutines wait for their next round, or done-callbacks to run.
    bool wants_loop() const noexcept override {
        return round_scheduled_ || !done_.empty() || woke_receiver_ || !starting_.empty();
    }
    /// What a handler (or the error handler) returned, null if it raised:
    /// write a Response, run a coroutine, or fail.
    void complete(Connection& conn, std::uint64_t seq, RequestObject* req, PyObject* result,
                  bool in_error_handler) {
        // Inline: nearly every result is a Response.
        if (result && Py_IS_TYPE(result, self_->state->response_type)) {
            const bool written = write(conn, seq, req, reinterpret_cast<ResponseObject*>(result));
            Py_DECREF(result);
            // A Response the writer cannot be given fails as the handler would.
            if (!written) fail(conn, seq, req, in_error_handler);
            return;
        }
        complete_other(conn, seq, req, result, in_error_handler);
    }
    /// An answer was produced outside `poll` (a task finished): have it sent soon.
    void answered_later(std::uint64_t conn_id);
    /// Have `flush` called once the event loop comes round.
    void schedule_flush();
    /// The connection with this id; null once closed.
    Connection* find(std::uint64_t conn_id) noexcept { return net_.find(conn_id); }
    /// Send what `answered_later` announced.
    void flush();
    /// Resume every coroutine that yielded bare since the last round (coroutines.cpp).
    void resume_round();
    /// Make `step` (a stand-in or a Task) asyncio's current task; false with an exception set.
    bool enter(PyObject* step);
    /// Leave `*entered` as the current task and release it; a pending exception is kept.
    void leave(PyObject** entered);
    /// Run an ASGI app's coroutine `coro` for `call` in a Task of its own
    /// (coroutines.cpp): frameworks take asyncio's current task as the
    /// request's identity (anyio's cancel scopes), which the engine's
    /// stand-in cannot keep across a suspension.
    void run_asgi(Connection& conn, std::uint64_t seq, RequestObject* req, PyObject* call,
                  PyObject* coro);

    ServerObject* self_;
    net::Server net_;
    router::Router router_;
    std::vector<PyObject*> handlers_;
    std::vector<OwnedRequest*> owned_pool_;  // see engine_owned_request
    std::vector<PyObject*> routes_;
    PyObject* request_class_ = nullptr;
    // From the ServerConfig (server_config.cpp says what each is).
    PyObject* error_response_ = nullptr;
    PyObject* not_found_response_ = nullptr;
    PyObject* take_over_ = nullptr;  // take_over(coro, yielded) -> Task
    PyObject* loop_ = nullptr;
    PyObject* stand_in_ = nullptr;    // stand_in(loop): the current task while a step runs
    PyObject* run_task_ = nullptr;    // run_task(coro) -> Task, eager where asyncio has it
    PyObject* enter_task_ = nullptr;  // asyncio's _enter_task(loop, task), or null
    PyObject* leave_task_ = nullptr;
    PyObject* call_soon_ = nullptr;
    PyObject* flush_ = nullptr;
    PyObject* resume_round_ = nullptr;  // the server's bound _resume_round
    PyObject* access_log_ = nullptr;    // access_log(request, status, body_size, seconds) or null
    PyObject* callback_failed_ = nullptr;   // callback_failed(request, callback, exc)
    PyObject* response_refused_ = nullptr;  // response_refused(request, reason), or null
    // Objects made, not reused (_native._reuse_counts): counted where they
    // are made, so reuse itself costs nothing more.
    std::uint64_t requests_made_ = 0;
    std::uint64_t steps_made_ = 0;
    std::uint64_t calls_made_ = 0;     // ASGI calls (asgi::start)
    PyObject* spare_call_ = nullptr;   // the last ASGI call, reused while no one holds it
    PyObject* client_host_ = nullptr;  // the last scope's client address (a str): few differ

    /// A poll of the sockets starts: no app was woken by it yet (wants_loop).
    void begin_poll() noexcept {
        woke_receiver_ = false;
        polling_ = true;
    }
    /// The poll is over: the streams it opened start, and what they wrote goes out.
    void end_poll();
    /// Run the done-callbacks of the requests answered since the last call.
    void run_done_callbacks();
    /// Request `req` was answered (a body of `body_size` bytes): its access
    /// line, and its done-callbacks are due.
    void answered(RequestObject* req, long status, std::uint64_t body_size);
    /// Open bodies (transfer.cpp): a waiting stream may go on; a body ended.
    void body_writable(void* token) noexcept override;
    void body_finished(void* token, BodyEnd how, std::string_view reason) noexcept override;
    /// Request bodies that stream (body_reader.cpp).
    bool may_stream_bodies() const noexcept override { return any_streams_body_ || asgi_app_; }
    bool streams_body(const http::RequestHead& head) override;
    void body_input(void* token, std::string_view piece, bool last,
                    std::string_view error) noexcept override;
    files::ContentTypes content_types_;       // by file extension, from Python's mimetypes
    std::vector<files::StaticDir> statics_;   // folders the engine serves itself
    PyObject* static_refused_ = nullptr;      // static_refused(method, path, reason), or null
    std::vector<http::Header> file_headers_;  // scratch: a file answer's headers
    std::vector<bool> streams_body_;          // by route: its handler reads the body as a stream
    bool any_streams_body_ = false;
    PyObject* run_stream_ = nullptr;  // run_stream(transfer, pieces, first): the pump coroutine
    // Streams (stream_pump.cpp): the engine feeds a producer's pieces itself.
    /// A stream's head is out: its producer starts once this poll or flush is over.
    void start_stream(TransferObject* t);
    /// Start the streams opened since the last call; the caller (`flush`)
    /// sends what they wrote.
    void run_streams();
    bool flush_follows_ = false;  // a flush comes before the loop turns: none to schedule
    // WebSockets (websocket_flow.cpp).
    PyObject* run_websocket_ = nullptr;   // run_websocket(handler, ws) -> Task, or null
    std::vector<bool> websocket_routes_;  // by route: a WebSocket route, handler(ws)
    bool websocket_compression_ = false;  // agree on permessage-deflate when offered
    /// A WebSocket route's request: check the handshake, then run the handler.
    void dispatch_websocket(Connection& conn, std::uint64_t seq, const RequestRef& ref,
                            RequestObject* req, PyObject* handler);
    void ws_message(void* token, bool text, std::string_view payload) noexcept override;
    void ws_closed(void* token, std::uint16_t code, std::string_view reason) noexcept override;
    void serve_later(std::uint64_t conn_id) noexcept override { answered_later(conn_id); }
    /// The connection is done with a WebSocket (body_finished, abandon).
    void websocket_finished(WebSocketObject* w, BodyEnd how) noexcept;
    void websocket_abandoned(WebSocketObject* w) noexcept;
    /// Answer a WebSocket's handshake with `resp` instead of accepting it;
    /// false with an exception set.
    bool refuse_websocket(WebSocketObject* w, ResponseObject* resp);
    PyObject* response_failed_ = nullptr;  // response_failed(request, reason)
    /// A request whose answer was written, or abandoned: its callbacks are due.
    void done(RequestObject* req);
    /// Answer request `seq` for a handler that raised (the exception is set):
    /// the app's error_response picks the answer and logs.
    void fail(Connection& conn, std::uint64_t seq, RequestObject* req, bool in_error_handler);
    /// The app failed (the exception is set) when no answer can be given any
    /// more: error_response only logs it, its answer is dropped.
    void log_failure(RequestObject* req);
    PyObject* asgi_app_ = nullptr;    // the ASGI app serving every request, or null
    PyObject* asgi_scope_ = nullptr;  // the scope's template: the keys every request shares
    PyObject* asgi_websocket_scope_ = nullptr;  // the websocket scope's
    bool dispatching_ = false;  // inside dispatch: what is answered goes out with the poll
    // TLS (tls.cpp): what the transport reports goes to tls_event(what, peer, detail).
    PyObject* tls_event_ = nullptr;  // or null: not reported
    void handshake_failed(const Connection& conn, std::string_view reason) noexcept override;
    void kernel_tls(bool sending) noexcept override;

private:
    RequestObject* take_request();
    void release_request(RequestObject* req);
    /// Answer with `resp`. False, with nothing answered and a Python
    /// exception set, when the Response cannot be put into writer terms.
    bool write(Connection& conn, std::uint64_t seq, RequestObject* req, ResponseObject* resp);
    /// The writer refused `spec` (and answered 500): log why, with the route.
    void refused(RequestObject* req, const http::ResponseSpec& spec);
    /// Tell `hook(request, reason)` (a ServerConfig logger) what went wrong;
    /// `req` null: no request object exists (a static file), None is passed.
    void report(PyObject* hook, RequestObject* req, std::string_view reason);
    /// `write` for a stream or a file (transfer.cpp): its head now, its body later.
    bool write_open(Connection& conn, std::uint64_t seq, RequestObject* req, ResponseObject* resp);
    bool write_file(Connection& conn, std::uint64_t seq, RequestObject* req, ResponseObject* resp);
    /// Answer a request under a static folder, without Python (static.cpp).
    void serve_static(Connection& conn, std::uint64_t seq, const RequestRef& ref,
                      const files::StaticDir& dir);
    /// complete() for anything but a Response.
    void complete_other(Connection& conn, std::uint64_t seq, RequestObject* req, PyObject* result,
                        bool in_error_handler);
    // Coroutines (coroutines.cpp).
    /// A handler's coroutine yielded `yielded`: wait in ready_ or hand it to a Task.
    void suspend(Connection& conn, std::uint64_t seq, RequestObject* req, PyObject* coro,
                 PyObject* yielded, bool in_error_handler, PyObject* step);
    void park(Connection& conn, SuspendedObject* s, PyObject* coro, PyObject* yielded,
              PyObject* step);
    /// A Task (Scheduler.take_over) takes the coroutine over; `s` is its done-callback.
    PyObject* hand_over(SuspendedObject* s, PyObject* coro, PyObject* yielded, PyObject* step);
    /// Send None into `coro` with a stand-in as asyncio's current task. `*step`:
    /// in, the coroutine's own stand-in or null for any; out, the stand-in it
    /// must keep from now on (someone holds or cancelled it) or null.
    /// `entered`: null to enter and leave around this step; else the stand-in
    /// a round keeps entered across steps (leave it with `leave`).
    /// `keep`: the coroutine lives on after it returns (an async generator's
    /// __anext__), so a stand-in kept by then is its own too.
    PySendResult step_coro(PyObject* coro, PyObject** yielded, PyObject** step, PyObject** entered,
                           bool keep = false);
    /// References the engine itself holds on a stand-in: step_, and while it
    /// is entered, `*entered` and asyncio's current-task entry.
    Py_ssize_t own_refs(PyObject* step, PyObject** entered) const noexcept;
    /// A cancel() recorded on a stand-in and not yet delivered.
    bool cancel_pending(PyObject* step);

    /// Feed `t`'s producer's pieces while they come without waiting and the
    /// connection takes them; else `carry_on`.
    void pump(TransferObject* t, PyObject** entered);
    /// The pump in lesto/streams.py goes on from where `pump` stopped, in a
    /// Task once it must wait: `first` an awaitable (in flight when it yielded
    /// `yielded`; the drain to wait for), or null: the pending exception to
    /// raise, or none, the loop from the start. `step`: the producer's own
    /// stand-in, or null. Steals `first`, `yielded` and `step`.
    void carry_on(TransferObject* t, PyObject* pieces, PyObject* first, PyObject* yielded,
                  PyObject* step, PyObject** entered);

    RequestObject* spare_ = nullptr;          // reused while no one else holds it (refcount.hpp)
    PyObject* step_ = nullptr;                // a stand-in reused while no one else holds it
    std::vector<RequestObject*> done_;        // strong references, callbacks pending
    std::vector<SuspendedObject*> ready_;     // strong references: to resume next round
    std::vector<SuspendedObject*> resuming_;  // ready_ as it was when the round began
    bool round_scheduled_ = false;
    std::vector<TransferObject*>
        starting_;          // strong references: streams whose producer starts next
    bool polling_ = false;  // inside poll: end_poll starts the streams
    // A WebSocket message woke its app during this poll: the app answers
    // before more is read (a bad frame read next would close ahead of the
    // answer to the message before it). Cleared when a poll starts.
    bool woke_receiver_ = false;
    std::string decoded_path_;  // scratch: the percent-decoded path being routed
    ResponseView view_;
};

}  // namespace lesto::py
