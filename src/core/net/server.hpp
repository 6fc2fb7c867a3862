// server.hpp: the socket side of the engine: accept, read, write, close, timeouts, on one epoll.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/memory.hpp"
#include "net/timeouts.hpp"
#include "pipeline/connection.hpp"
#include "pipeline/limits.hpp"
#include "response/date.hpp"

struct epoll_event;

namespace lesto::net {

class TlsContext;

/// Every socket of one worker on one epoll instance. The event loop watches
/// only `fd()` (readable whenever any socket here needs attention) and calls
/// `poll()`: one callback serves every ready connection, and the sockets never
/// cross into Python. Level-triggered, single-threaded.
class Server {
public:
    Server(const ConnectionLimits& limits, const Timeouts& timeouts, Dispatcher& dispatcher);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    int fd() const noexcept { return epoll_fd_; }
    /// Take ownership of a bound, listening socket and accept from it; with
    /// `tls`, its connections speak TLS (a plain and a TLS listener may
    /// serve side by side).
    void add_listener(int fd, std::shared_ptr<const TlsContext> tls = nullptr);
    /// Close the listening sockets: no new connection is accepted.
    void close_listeners() noexcept;
    /// Close every connection at once (unanswered work is abandoned) and the listeners.
    void close_all() noexcept;
    /// Graceful shutdown: stop accepting, close idle connections, and let the
    /// others finish the requests they already sent, then close.
    void drain();
    /// The graceful shutdown ran out of time: each connection answers its
    /// first unanswered request 503 (Connection::refuse_unanswered), sends
    /// what it owes and closes. Returns how many requests were answered 503.
    std::size_t refuse_unanswered();

    /// Serve every socket that is ready now, without blocking, and look again
    /// (a few rounds) while sockets keep becoming ready and the dispatcher
    /// has no work waiting for the loop. Returns the events served.
    std::size_t poll();
    /// Once a second: refresh the Date header, enforce timeouts, retry accept,
    /// give back the buffers a burst left.
    void tick(std::time_t now);
    /// Send what asynchronous answers added to connections since the last poll.
    void flush();
    /// Serve one connection now (send its output, take its input): a
    /// stream's producer calls this after each piece, so the piece goes out
    /// at once instead of after a trip through the event loop. Its sends say
    /// more follows (MSG_MORE), so the connection is marked for the next
    /// `flush`, which lets the last partial segment go; returns true when
    /// that is the first mark since the last `flush` (as `mark_dirty`). The
    /// connection may be closed by it. Inside a service (application code
    /// the engine runs), no send: the service under way sends its own
    /// connection's output, and any other connection is marked for `flush`.
    bool service_now(std::uint64_t connection_id);
    /// A connection got output outside `poll`; returns true when it is the first
    /// since the last `flush` (the caller then schedules one `flush`).
    bool mark_dirty(std::uint64_t connection_id);

    Connection* find(std::uint64_t connection_id) noexcept;
    std::size_t connection_count() const noexcept { return peers_.size(); }
    const http::DateCache& date() const noexcept { return date_; }

    // ---- memory connections (memory.cpp) ------------------------------------
    // A client in this process (a test client) has its requests served
    // exactly as a socket's, by the same Connection and the same service
    // rounds; only the bytes move to and from memory, and `events` is told
    // what epoll would have reported. An id never opened, or forgotten,
    // throws std::invalid_argument.

    /// Who hears about memory connections (null: nobody).
    void set_memory_events(MemoryEvents* events) noexcept { memory_events_ = events; }
    /// A new memory connection from `remote_addr`:`remote_port`; returns its id.
    std::uint64_t open_memory(std::string remote_addr, std::uint16_t remote_port);
    /// The client sent `bytes`: the connection reads and serves them as a
    /// socket's. Returns the bytes sent that it has not read yet (held back
    /// as TCP would hold them); they are read as it wants more.
    std::size_t memory_input(std::uint64_t id, std::string_view bytes);
    /// The client will send nothing more (a socket's shutdown(SHUT_WR)).
    void memory_input_ended(std::uint64_t id);
    /// What the engine wrote since the last call, a file's bytes included;
    /// taking it makes room for more.
    std::string take_memory_output(std::uint64_t id);
    /// Where the connection stands (memory.hpp), closed or not.
    MemoryState memory_state(std::uint64_t id);
    /// The client is gone: the connection closes if it is open (its
    /// unanswered requests are abandoned) and its id is forgotten.
    void close_memory(std::uint64_t id);

private:
    /// The pool's blocks no connection needed for a whole tick go back to
    /// malloc, and malloc's free pages to the kernel.
    void release_idle_buffers() noexcept;
    // epoll_event.data.ptr points at one of these: a listener or a peer.
    struct Peer;
    struct Watch {
        bool listener;
        int fd;
        Peer* peer;  // null for a listener
    };
    struct Listener {
        Watch watch;
        std::shared_ptr<const TlsContext> tls;  // null: plain TCP
    };
    void accept_all(const Listener& listener);
    void on_event(Peer& peer, std::uint32_t events);
    bool read_input(Peer& peer);
    // The transport path (server_transport.cpp): a connection whose bytes
    // go through a Transport (TLS) rather than straight to its socket. Kept
    // out of line: inlined into `service` by link-time optimization, it made
    // the plain path's own code there longer (bench/instructions.py, hello
    // on 32 connections: 59 instructions a request more than before TLS;
    // out of line, 40).
    /// `on_event` for a connection with a transport (EPOLLERR, EPOLLHUP and lingering aside).
    [[gnu::noinline]] void on_transport_event(Peer& peer, std::uint32_t events);
    /// Drive the handshake on; false if the connection closed.
    [[gnu::noinline]] bool open_transport(Peer& peer);
    [[gnu::noinline]] bool read_transport(Peer& peer);
    [[gnu::noinline]] bool write_transport(Peer& peer);
    /// The epoll interest the transport adds to the connection's own.
    [[gnu::noinline]] std::uint32_t transport_interest(const Peer& peer) const noexcept;
    void set_interest(Peer& peer, std::uint32_t want);
    /// One epoll_wait's events, served in passes (read, answer, send).
    void serve_batch(const epoll_event* events, int n);
    /// Answer what the connection has read and send it. `processed`: the
    /// first Connection::process() was made already, with this result.
    void service(Peer& peer, bool more_output = false, std::optional<bool> processed = {});
    /// Send what the connection owes; `more`: more follows at once. False if it closed.
    bool send_output(Peer& peer, bool more);
    bool write_out(Peer& peer, int flags);
    void update_interest(Peer& peer, bool more);
    void start_linger(Peer& peer);
    void close_peer(Peer& peer);
    void set_listeners_enabled(bool enabled);
    // The memory connections' side of the above (memory.cpp).
    bool memory_read(Connection& conn, MemoryPipe& pipe);
    bool memory_write(Connection& conn, MemoryPipe& pipe);
    void memory_interest(Connection& conn, const MemoryPipe& pipe, bool more);
    void memory_ended(std::uint64_t id, MemoryPipe& pipe, bool closed);
    /// Serve memory connection `id` once the loop comes round, as epoll would.
    void memory_later(std::uint64_t id);

    ConnectionLimits limits_;
    Timeouts timeouts_;
    Dispatcher* dispatcher_;
    http::DateCache date_;
    BufferPool buffers_;  // before peers_: their buffers give blocks back to it
    int epoll_fd_ = -1;
    std::vector<std::unique_ptr<Listener>> listeners_;
    bool listeners_enabled_ = true;
    bool kernel_tls_told_ = false;  // Dispatcher::kernel_tls was called
    std::uint64_t next_id_ = 1;
    std::time_t now_ = 0;
    std::unordered_map<std::uint64_t, std::unique_ptr<Peer>> peers_;
    std::vector<std::uint64_t> dirty_;
    std::vector<std::uint64_t> flushing_;  // dirty_ as it was when flush() began
    int in_service_ = 0;                   // depth of service() calls under way
    std::uint64_t serving_ = 0;            // the connection service() serves, 0 when none
    MemoryEvents* memory_events_ = nullptr;
    // By id, from open_memory to close_memory; a Peer points at its pipe.
    std::unordered_map<std::uint64_t, std::unique_ptr<MemoryPipe>> memory_;
};

}  // namespace lesto::net
