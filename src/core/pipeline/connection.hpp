// connection.hpp: one client connection's state machine: bytes in, ordered responses out.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "buffer/buffer.hpp"
#include "parser/chunked.hpp"
#include "parser/parser.hpp"
#include "parser/request.hpp"
#include "pipeline/limits.hpp"
#include "pipeline/open_body.hpp"
#include "pipeline/slot_queue.hpp"
#include "response/date.hpp"
#include "response/writer.hpp"

namespace lesto {

namespace ws {
class Session;
struct DeflateParams;
}  // namespace ws

namespace net {
class TlsPeer;
}  // namespace net

class Connection;

/// What a WebSocket's 101 agrees on (`Connection::accept_websocket`).
struct WebSocketAccept {
    std::string_view key;                        ///< the client's Sec-WebSocket-Key
    std::string_view subprotocol;                ///< empty: none
    const ws::DeflateParams* deflate = nullptr;  ///< null: no compression
    std::span<const http::Header> headers;       ///< the app's own
};

/// A complete request handed to the application. Views are valid only during
/// `Dispatcher::dispatch`; whoever keeps the request longer copies `raw_head`
/// and `body` and rebases `head` onto the copy.
struct RequestRef {
    const http::RequestHead& head;
    std::string_view raw_head;  ///< the bytes every view in `head` points into
    std::string_view body;
    bool has_body;          ///< a body was framed (possibly empty)
    bool streamed = false;  ///< the body comes later, through Dispatcher::body_input
};

/// Implemented by whoever runs the application (the Python binding).
class Dispatcher {
public:
    virtual ~Dispatcher() = default;
    /// A complete request, in arrival order. Answer it with `conn.respond(seq, ...)`,
    /// now or later. A request answered later is given a token with
    /// `conn.set_token(seq, token)`: should the connection close first, the
    /// token is handed to `abandon` so the work can be cancelled.
    virtual void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& request) = 0;
    virtual void abandon(void* token) noexcept = 0;
    /// Work is waiting for the event loop (e.g. coroutines to resume): the
    /// socket layer then returns to the loop rather than look for more input.
    virtual bool wants_loop() const noexcept { return false; }
    /// Some requests may read their body as a stream (`streams_body`): asked
    /// once, when a connection is made.
    virtual bool may_stream_bodies() const noexcept { return false; }
    /// Whether the request whose head is complete (and which has a body)
    /// reads its body as a stream: it is then dispatched at once, before its
    /// body, and `body_input` gives the body piece by piece as its reader
    /// asks (`Connection::want_body`). Its bound is max_stream_body_bytes.
    virtual bool streams_body(const http::RequestHead& head) {
        (void)head;
        return false;
    }
    /// The next piece of a streamed request body, for the reader whose token
    /// this is (`Connection::set_body_reader`); `last`: the body is complete.
    /// With `error` (and no piece): the body cannot be read to its end (the
    /// client broke its framing or a limit, or left); no more input follows.
    virtual void body_input(void* token, std::string_view piece, bool last,
                            std::string_view error) noexcept {
        (void)token, (void)piece, (void)last, (void)error;
    }
    /// The stream whose token this is was told to wait (`stream_write` said
    /// `full`) and may give pieces again.
    virtual void body_writable(void* token) noexcept { (void)token; }
    /// An open body (`respond_open`) ended; its token is not used again.
    /// `reason` says why when it failed.
    virtual void body_finished(void* token, BodyEnd how, std::string_view reason) noexcept {
        (void)token, (void)how, (void)reason;
    }
    /// A whole message from the WebSocket whose token this is
    /// (`Connection::accept_websocket`); a text one is valid UTF-8. The
    /// payload is valid during the call only.
    virtual void ws_message(void* token, bool text, std::string_view payload) noexcept {
        (void)token, (void)text, (void)payload;
    }
    /// The WebSocket will receive nothing more: the peer's close code and
    /// reason (1005 when it gave none), or the code the engine closed with
    /// (1002 protocol error, 1007 bad UTF-8, 1009 too big, 1011 no answer to
    /// a ping, 1006 the connection was lost). `body_finished` follows once
    /// the connection is done with the token.
    virtual void ws_closed(void* token, std::uint16_t code, std::string_view reason) noexcept {
        (void)token, (void)code, (void)reason;
    }
    /// Serve connection `conn` again once the application has had its turn
    /// (the event loop came round): what it was given needs answering before
    /// the connection goes on (a WebSocket frame that fails waits behind the
    /// answers to the messages before it).
    virtual void serve_later(std::uint64_t conn_id) noexcept { (void)conn_id; }
    /// The transport below HTTP gave up on connection `conn` before any
    /// request: its TLS handshake failed or timed out (plain HTTP sent to a
    /// TLS port, no protocol version or cipher in common, a client
    /// certificate refused, garbage), as `reason` says. Only that connection
    /// is closed.
    virtual void handshake_failed(const Connection& conn, std::string_view reason) noexcept {
        (void)conn, (void)reason;
    }
    /// Once, at the first TLS handshake done: whether the kernel encrypts
    /// what is sent (kernel TLS), so that files go out with sendfile rather
    /// than read and encrypted piece by piece.
    virtual void kernel_tls(bool sending) noexcept { (void)sending; }
};

/// What `Connection::respond_open` did.
enum class OpenStatus : std::uint8_t {
    open,     ///< the head is out or queued; the body follows
    no_body,  ///< answered with the head alone (HEAD, 204, 304): no body is wanted
    refused,  ///< the spec is invalid: answered 500 instead
    gone,     ///< the request is no longer owed an answer
};

/// What `Connection::stream_write` and `stream_end` did.
enum class StreamStatus : std::uint8_t {
    ok,         ///< taken; room is left for more
    full,       ///< taken; wait for `body_writable` before the next piece
    too_long,   ///< more than the declared Content-Length: the connection is cut
    too_short,  ///< ended before the declared Content-Length: the connection is cut
    gone,       ///< the response is no longer open (the connection closed or was cut)
};

/// Owns the input and output buffers of one connection. The socket layer
/// reads into `input_space`, calls `process`, sends `output()`; this class
/// never touches a socket. Responses leave in request order whatever order
/// they are produced in: a response produced early waits in its pipeline slot.
class Connection {
public:
    Connection(std::uint64_t id, const ConnectionLimits& limits, Dispatcher& dispatcher,
               const http::DateCache& date);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    std::uint64_t id() const noexcept { return id_; }
    /// The peer's address as text ("127.0.0.1", "::1"), set by the socket layer.
    const std::string& remote_addr() const noexcept { return remote_addr_; }
    void set_remote_addr(std::string addr) { remote_addr_ = std::move(addr); }
    /// The peer's port (0 when unknown).
    std::uint16_t remote_port() const noexcept { return remote_port_; }
    void set_remote_port(std::uint16_t port) noexcept { remote_port_ = port; }
    /// What TLS agreed with the peer (version, cipher, its certificate), or
    /// null over plain TCP. Set by the socket layer once the handshake is
    /// done; this class only carries it to the application (the request's
    /// scheme and `tls`), it never sees TLS itself.
    const std::shared_ptr<const net::TlsPeer>& tls() const noexcept { return tls_; }
    void set_tls(std::shared_ptr<const net::TlsPeer> tls) noexcept { tls_ = std::move(tls); }

    // ---- input -------------------------------------------------------------
    /// Writable space for at least `n` bytes; views of a request whose body is
    /// still arriving stay valid (they are rebased if the buffer moves).
    std::span<char> input_space(std::size_t n);
    void input_commit(std::size_t n) noexcept { in_.commit(n); }
    /// The peer will send nothing more: answer what is complete, then close.
    void input_closed() noexcept { peer_closed_ = true; }
    bool input_closed_by_peer() const noexcept { return peer_closed_; }
    /// Graceful shutdown: read nothing more; answer the requests already
    /// received (the last answer says `Connection: close`), then finish.
    void stop_reading() noexcept { draining_ = true; }
    /// Parse and dispatch every complete buffered request, until the input is
    /// exhausted, the connection is closing, or backpressure applies. Returns
    /// true in the last case: once output is sent, it may go on.
    bool process();

    // ---- output ------------------------------------------------------------
    /// Answer request `seq`. Returns false (and answers 500) if the spec is invalid.
    /// Clears `spec.keep_alive` when the connection closes after this answer
    /// (the request said close, or the connection drains): the spec is the
    /// caller's scratch, not copied per response.
    bool respond(std::uint64_t seq, http::ResponseSpec& spec);
    /// During the dispatch of a request whose body streams: whom to give its pieces.
    void set_body_reader(std::uint64_t seq, void* token) noexcept;
    /// The reader of request `seq`'s streamed body asks for its next piece:
    /// it comes through `Dispatcher::body_input` once bytes are there (the
    /// socket layer's next `process`). Until then, nothing is read for it
    /// (the client is held back by TCP). The first ask of a request that
    /// expects it sends 100 Continue. Returns whether there is input to
    /// process now (the caller then has the connection serviced).
    bool want_body(std::uint64_t seq);
    /// Answer request `seq` with an engine-made error page.
    void respond_error(std::uint64_t seq, int status, std::string_view reason,
                       std::span<const http::Header> headers = {});
    /// Answer request `seq` with `spec`'s head and `body` after it. A file's
    /// framing is its length (`body.remaining` bytes from `body.offset`); a
    /// stream's is `spec.framing` when that is `length` (a declared
    /// Content-Length), else chunked, or until close on HTTP/1.0. The
    /// connection owns `body.fd` from here on, whatever the result.
    OpenStatus respond_open(std::uint64_t seq, http::ResponseSpec& spec, OpenBody body);
    /// Give the next piece of request `seq`'s streamed body. A piece may be
    /// given while earlier responses are still being sent: it waits behind
    /// them, counted against the same room.
    StreamStatus stream_write(std::uint64_t seq, std::string_view piece);
    /// `stream_write` with the piece's bytes only lent: the socket layer
    /// sends them from where they are (`lent()`, after `output()`), saving
    /// a copy of large pieces, and `settle_lent` then copies what it did
    /// not take. The caller has the connection serviced and calls
    /// `settle_lent` before the piece's memory goes, whatever happened. A
    /// small piece, or one whose response is not being sent yet, is copied
    /// at once.
    StreamStatus stream_write_lent(std::uint64_t seq, std::string_view piece);
    /// Copy what is left of a lent piece into the output; the stream's status after it.
    StreamStatus settle_lent(std::uint64_t seq);
    /// The lent bytes still to send after `output()`, in order: what is left
    /// of the piece, then of its chunk's closing CRLF (static memory), so
    /// that one send carries a whole chunk. Both empty outside a producer's call.
    const std::array<std::string_view, 2>& lent() const noexcept { return lent_; }
    bool has_lent() const noexcept { return !lent_[0].empty() || !lent_[1].empty(); }
    /// `n` lent bytes were sent.
    void lent_sent(std::size_t n) noexcept;
    /// A transport that cannot send from two places in one write (TLS
    /// encrypts what it is given, record by record) takes the lent bytes
    /// into `output()` instead: they are then the output's, and not lent.
    void absorb_lent();
    /// Whether the stream of request `seq` may give a piece without waiting
    /// (it is not waiting for `body_writable`).
    bool stream_ready(std::uint64_t seq) noexcept;
    /// The stream of request `seq` has given its last piece.
    StreamStatus stream_end(std::uint64_t seq);
    /// The stream of request `seq` cannot go on (its producer failed): the
    /// client cannot be told in-band once the head is out, so the response
    /// is cut short and the connection closes after what was sent.
    void stream_abort(std::uint64_t seq);
    void set_token(std::uint64_t seq, void* token) noexcept;

    // ---- WebSocket (websocket.cpp) -------------------------------------------
    /// Request `seq` (dispatched now) may become a WebSocket: nothing after
    /// its head is HTTP, so nothing more is parsed. Its answer is
    /// `accept_websocket`, or any other response, after which the connection
    /// closes.
    void expect_upgrade(std::uint64_t seq) noexcept;
    /// Answer request `seq` with 101 Switching Protocols (`reply` says what
    /// was agreed); from then on frames flow both ways, reported to the
    /// dispatcher under `token`, until the close handshake finishes the
    /// connection. Like `respond_open`: `refused` (answered 500, `why` says
    /// why) when `reply` is invalid (a header that is not allowed).
    OpenStatus accept_websocket(std::uint64_t seq, const WebSocketAccept& reply, void* token,
                                std::string& why);
    /// Send one message on request `seq`'s WebSocket; `full`: wait for
    /// `body_writable` before the next. `gone` once closing or closed.
    StreamStatus ws_send(std::uint64_t seq, bool text, std::string_view payload);
    /// Start the close handshake with `code` and `reason` (valid ones, the
    /// caller's check); the connection finishes when the peer answers.
    void ws_close(std::uint64_t seq, std::uint16_t code, std::string_view reason);
    /// The app holds as many received messages as it will: read nothing more
    /// until it lets go (TCP then holds the client back).
    void ws_hold(bool hold) noexcept { ws_held_ = hold; }
    /// A WebSocket is open on this connection (its 101 sent or queued).
    bool websocket() const noexcept { return ws_ != nullptr; }
    /// Keep-alive: ping the peer; a connection whose peer answered nothing
    /// since the last ping is closed with 1011 instead. Returns whether it pinged.
    bool ws_keepalive(bool peer_silent);
    /// Buffers come from and go back to `pool` (the server's; it outlives us).
    void use_buffer_pool(BufferPool* pool) noexcept {
        in_.use_pool(pool);
        out_.use_pool(pool);
    }
    /// Give the buffers' memory back while both are empty, so that an idle
    /// keep-alive connection holds a few hundred bytes, not 64 KiB.
    void release_idle_buffers() noexcept {
        in_.shrink_if_empty(0);
        out_.shrink_if_empty(0);
    }
    Buffer& output() noexcept { return out_; }
    const Buffer& output() const noexcept { return out_; }
    void output_sent(std::size_t n) noexcept;
    /// The file to send now (after `output()`, which must be sent first), or
    /// null: the socket layer sends from `offset`, at most `remaining` bytes.
    const OpenBody* file_to_send() const noexcept {
        return open_.kind == OpenBody::Kind::file && out_.empty() ? &open_ : nullptr;
    }
    /// `n` bytes of the file were sent (0: the file ended early).
    void file_sent(std::size_t n);
    /// Bytes are owed to the socket: output, or a file's.
    bool sending() const noexcept {
        return !out_.empty() || has_lent() || open_.kind == OpenBody::Kind::file;
    }

    // ---- state -------------------------------------------------------------
    /// More input is welcome: not closing, not paused by backpressure.
    bool wants_input() const noexcept;
    /// Everything owed has been written to `output()` and no more will come:
    /// once the output is sent, the socket can close.
    bool finished() const noexcept;
    /// Requests dispatched and not yet answered in order.
    std::size_t in_flight() const noexcept {
        return static_cast<std::size_t>(next_seq_ - next_out_);
    }
    /// The head of the next request has started to arrive but is not complete.
    bool reading_head() const noexcept {
        return !no_more_ && stage_ == Stage::head && !in_.empty();
    }
    /// A head is complete and its body is still arriving (not while a
    /// streamed body waits for its reader: the client is not late then).
    bool reading_body() const noexcept {
        return !no_more_ && stage_ != Stage::head &&
               (stage_ != Stage::body_stream || reader_wants_ || !reader_);
    }
    /// Refuse the request being read (e.g. 408 on a timeout): it is answered
    /// after the responses still owed, and the connection then closes.
    void abort(int status, std::string_view reason);
    /// A graceful stop ran out of time. Nothing of an unanswered request's
    /// response exists yet (a response is rendered whole, when it is
    /// answered), so the first unanswered one, in order, is answered `503
    /// Service Unavailable` with `Connection: close` and `Retry-After` in its
    /// place. No answer may follow a close (RFC 9112 9.6): the requests
    /// behind it get none, even one already made; their work is abandoned and
    /// the client retries them on a new connection. Nothing more is read.
    /// Returns whether a 503 was written; the connection is then finished.
    bool refuse_unanswered();
    /// Request `seq` is still owed an answer (else answering it does nothing).
    bool owes(std::uint64_t seq) const noexcept { return seq >= next_out_ && seq < next_seq_; }

private:
    enum class Stage : std::uint8_t { head, body_length, body_chunked, body_stream };
    struct Slot {
        bool done = false;
        void* token = nullptr;
        Buffer bytes;
        OpenBody body;  // an open answer's body, once its head is in `bytes`
    };

    bool parse_head();
    bool read_body();
    // A streamed request body (body_stream.cpp).
    void dispatch_streaming();
    bool feed_stream();
    void end_stream(std::string_view error);
    std::uint64_t open_slot();
    void dispatch_current();
    void fail(int status, std::string_view reason);
    void maybe_send_continue();
    template <class Render>
    bool answer(std::uint64_t seq, Render&& render, OpenBody* body = nullptr);
    /// `answer` for the other files of this class (the template lives in connection.cpp).
    bool answer_by(std::uint64_t seq, const std::function<bool(Buffer&, bool)>& render,
                   OpenBody* body);
    bool paused() const noexcept;
    /// Request `seq`'s open body and the buffer its bytes go to, or null.
    OpenBody* open_body(std::uint64_t seq, Buffer*& bytes) noexcept;
    /// The front response's body ended: the next answers follow it.
    void finish_open(BodyEnd how, std::string_view reason);
    /// Move done answers behind the front into `out_`, up to the next open one.
    void promote();
    /// Request `seq`'s open body cannot be completed: the connection closes
    /// after it (its 500 if nothing of it was sent), nothing behind it is answered.
    void fail_open(std::uint64_t seq, std::string_view reason);
    /// No answer follows `seq`'s: the requests behind it are abandoned.
    void drop_behind(std::uint64_t seq);
    void close_body(OpenBody& body, BodyEnd how, std::string_view reason) noexcept;
    bool room_for_stream(const Buffer& bytes) const noexcept;
    void notify_writable() noexcept;
    // The WebSocket stage (websocket.cpp).
    bool feed_websocket();
    bool websocket_wants_input() const noexcept;
    /// The WebSocket's session and the buffer its frames go to (the 101 may
    /// still wait behind earlier answers), or null once it is over.
    ws::Session* websocket_of(std::uint64_t seq, Buffer*& bytes, OpenBody*& body) noexcept;
    void end_websocket(BodyEnd how, std::string_view reason);

    std::uint64_t id_;
    std::string remote_addr_;
    std::uint16_t remote_port_ = 0;
    const ConnectionLimits* limits_;
    Dispatcher* dispatcher_;
    const http::DateCache* date_;

    /// What reading requests takes. After a WebSocket handshake no request
    /// is read again (answered otherwise, the connection closes), so it goes
    /// then: an idle WebSocket would otherwise hold these 440 bytes.
    struct Reading {
        Reading(const ConnectionLimits& limits, bool may_stream);
        Reading(const Reading&) = delete;
        Reading& operator=(const Reading&) = delete;

        http::Limits head_limits;    // the parser's: max_body_bytes admits a streamed body's too
        http::Limits stream_limits;  // a streamed chunked body's decoder's
        http::RequestParser parser;
        http::ChunkedDecoder chunked;
        http::RequestHead head;
        std::string chunk_body;
    };

    Buffer in_;
    Buffer out_;
    std::unique_ptr<Reading> reading_;  // null once a WebSocket handshake was dispatched
    Stage stage_ = Stage::head;
    std::size_t body_fed_ = 0;  // raw chunked bytes after the head already decoded
    std::string_view body_;
    bool continue_sent_ = false;

    // The request whose body streams (stage body_stream), and its reader.
    std::uint64_t stream_seq_ = 0;
    std::uint64_t stream_left_ = 0;  // Content-Length bytes not yet given
    void* reader_ = nullptr;         // null once answered: the rest is read and dropped
    bool reader_wants_ = false;
    bool may_stream_ = false;  // the dispatcher may stream request bodies
    bool stream_chunked_ = false;
    bool stream_expects_continue_ = false;

    std::uint64_t next_seq_ = 0;  // seq the next dispatched request gets
    std::uint64_t next_out_ = 0;  // lowest seq whose response is not in out_ yet
    SlotQueue<Slot> slots_;       // seqs [next_out_, next_seq_) once any answer is deferred
    OpenBody open_;               // the body of response next_out_, its head already in out_
    std::array<std::string_view, 2> lent_;     // a lent stream piece and its chunk end, if any
    std::uint64_t last_seq_ = 0;               // when no_more_: the request whose answer closes
    std::uint64_t ws_seq_ = 0;                 // the request the WebSocket answers
    std::unique_ptr<ws::Session> ws_;          // once accepted
    std::shared_ptr<const net::TlsPeer> tls_;  // away from the fields every request uses
    bool no_more_ = false;                     // no further request will be dispatched
    bool peer_closed_ = false;
    bool draining_ = false;
    bool upgrading_ = false;  // the last request dispatched may be a WebSocket
    bool ws_held_ = false;    // its app wants no more messages for now
};

}  // namespace lesto
