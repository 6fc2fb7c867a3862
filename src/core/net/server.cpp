// server.cpp: epoll-driven accept, read, write and close for every connection of a worker.
#include "net/server.hpp"

#include "net/server_peer.hpp"
#include "net/tls.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace lesto::net {

namespace {

/// Application code runs while one lives (a handler, an ASGI app that sends
/// before it returns): Server::service_now must not re-enter a service then.
struct InService {
    int& depth;
    explicit InService(int& d) : depth(++d) {}
    ~InService() { --depth; }
    InService(const InService&) = delete;
    InService& operator=(const InService&) = delete;
};

/// Names the connection whose service is under way, for a scope: the
/// server's own field, since the service may close (destroy) the peer.
struct Serving {
    std::uint64_t& current;
    std::uint64_t was;
    Serving(std::uint64_t& c, std::uint64_t id) : current(c), was(c) { current = id; }
    ~Serving() { current = was; }
    Serving(const Serving&) = delete;
    Serving& operator=(const Serving&) = delete;
};

std::string format_address(const sockaddr_storage& addr) {
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text, sizeof text);
    } else if (addr.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, text,
                  sizeof text);
    }
    return text;
}

std::uint16_t port_of(const sockaddr_storage& addr) {
    if (addr.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
    if (addr.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
    return 0;
}

}  // namespace

Server::Server(const ConnectionLimits& limits, const Timeouts& timeouts, Dispatcher& dispatcher)
    : limits_(limits), timeouts_(timeouts), dispatcher_(&dispatcher) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    now_ = std::time(nullptr);
    date_.refresh(now_);
}

Server::~Server() {
    memory_events_ = nullptr;  // whoever listened may be gone already
    close_all();
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void Server::add_listener(int fd, std::shared_ptr<const TlsContext> tls) {
    auto listener = std::make_unique<Listener>(Listener{{true, fd, nullptr}, std::move(tls)});
    epoll_event ev{};
    ev.events = listeners_enabled_ ? std::uint32_t{EPOLLIN} : 0u;
    ev.data.ptr = &listener->watch;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
        throw std::system_error(errno, std::generic_category(), "epoll_ctl(listener)");
    }
    listeners_.push_back(std::move(listener));
}

void Server::close_listeners() noexcept {
    for (auto& listener : listeners_) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listener->watch.fd, nullptr);
        ::close(listener->watch.fd);
    }
    listeners_.clear();
}

void Server::close_all() noexcept {
    while (!peers_.empty()) close_peer(*peers_.begin()->second);
    close_listeners();
}

void Server::drain() {
    close_listeners();
    std::vector<Peer*> peers;
    peers.reserve(peers_.size());
    for (auto& [id, peer] : peers_) peers.push_back(peer.get());
    for (Peer* peer : peers) {
        if (peer->lingering) continue;
        if (peer->handshaking) {
            close_peer(*peer);  // no request yet: an idle connection
            continue;
        }
        peer->conn.stop_reading();
        service(*peer);
    }
}

std::size_t Server::refuse_unanswered() {
    std::vector<Peer*> peers;  // service() may close a peer, which leaves peers_
    peers.reserve(peers_.size());
    for (auto& [id, peer] : peers_) peers.push_back(peer.get());
    std::size_t refused = 0;
    for (Peer* peer : peers) {
        if (peer->lingering || peer->handshaking) continue;
        if (peer->conn.refuse_unanswered()) ++refused;
        service(*peer);
    }
    return refused;
}

void Server::set_listeners_enabled(bool enabled) {
    if (enabled == listeners_enabled_) return;
    listeners_enabled_ = enabled;
    for (auto& listener : listeners_) {
        epoll_event ev{};
        ev.events = enabled ? std::uint32_t{EPOLLIN} : 0u;
        ev.data.ptr = &listener->watch;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listener->watch.fd, &ev);
    }
}

std::size_t Server::poll() {
    // While serving one batch, clients answered earlier send again: looking
    // once more before going back to the event loop serves them without the
    // loop's own wait, wake-up and callback (on 100 busy connections sending
    // one request at a time, ~1 us less CPU per request, mostly kernel time).
    // Bounded, so timers and other callbacks still run between rounds, and
    // not taken while work waits for the loop (coroutines to resume, answers
    // to flush): async handlers lost ~10% to the extra rounds.
    constexpr int max_rounds = 4;
    std::size_t served = 0;
    for (int round = 0; round < max_rounds; ++round) {
        if (round > 0 && (!dirty_.empty() || dispatcher_->wants_loop())) break;
        epoll_event events[256];
        const int n = epoll_wait(epoll_fd_, events, 256, 0);
        if (n <= 0) break;
        serve_batch(events, n);
        served += static_cast<std::size_t>(n);
    }
    return served;
}

void Server::serve_batch(const epoll_event* events, int n) {
    // In three passes: every socket read, then every request answered, then
    // every answer sent. Between one request and the next the kernel's
    // network path would run (a send: the copy, the loopback delivery, the
    // reader's wake-up) and evict from the caches what the app's code and
    // the engine's need again for the next request; in passes, each kind of
    // work runs back to back while its code is hot. TLS connections and
    // lingering ones are served whole in the first pass.
    std::array<std::uint64_t, 256> ready;
    std::array<bool, 256> held;
    int m = 0;
    for (int i = 0; i < n; ++i) {
        // With many connections, each one's state has left the cache by
        // the time it is ready again (the kernel's work in between evicts
        // it): fetching the next one's while this one is read hides those
        // misses (a fifth of the user time of single requests on 100
        // connections).
        if (i + 1 < n) Peer::prefetch(events[i + 1].data.ptr);
        auto* watch = static_cast<Watch*>(events[i].data.ptr);
        if (watch->listener) {
            // Its Listener, among the few (a plain and a TLS one at most, as a rule).
            for (const auto& listener : listeners_) {
                if (&listener->watch == watch) accept_all(*listener);
            }
            continue;
        }
        Peer& peer = *watch->peer;
        const std::uint32_t ev = events[i].events;
        if ((ev & (EPOLLERR | EPOLLHUP)) || peer.lingering || peer.transport) {
            on_event(peer, ev);
            continue;
        }
        if ((ev & (EPOLLIN | EPOLLRDHUP)) && !read_input(peer)) continue;  // closed
        peer.answering = true;
        ready[m++] = peer.conn.id();
    }
    // Application code runs in this pass: service_now must not send (the
    // third pass does, for this batch's peers), and it must find each peer
    // still there by its id.
    {
        const InService answering(in_service_);
        for (int j = 0; j < m; ++j) {
            auto it = peers_.find(ready[j]);
            held[j] = it != peers_.end() && it->second->conn.process();
        }
    }
    for (int j = 0; j < m; ++j) {
        auto it = peers_.find(ready[j]);
        if (it == peers_.end()) continue;
        it->second->answering = false;  // service() names it for its own scope
        service(*it->second, false, held[j]);
    }
}

void Server::accept_all(const Listener& listener) {
    for (;;) {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        int fd = accept4(listener.watch.fd, reinterpret_cast<sockaddr*>(&addr), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: stop accepting until the next tick rather
                // than spin on a listener that stays readable.
                set_listeners_enabled(false);
            }
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        const std::uint64_t id = next_id_++;
        auto peer = std::make_unique<Peer>(fd, id, limits_, *dispatcher_, date_);
        peer->conn.set_remote_addr(format_address(addr));
        peer->conn.set_remote_port(port_of(addr));
        peer->conn.use_buffer_pool(&buffers_);
        peer->last_active = now_;
        if (listener.tls) {
            peer->transport = listener.tls->accept(fd);
            if (!peer->transport) {
                ::close(fd);  // OpenSSL out of memory: this one cannot be served
                continue;
            }
            peer->handshaking = true;
        }
        peer->events = EPOLLIN | EPOLLRDHUP;
        epoll_event ev{};
        ev.events = peer->events;
        ev.data.ptr = &peer->watch;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
            ::close(fd);
            continue;
        }
        Peer& added = *peers_.emplace(id, std::move(peer)).first->second;
        // The client speaks first and its hello has often arrived with the
        // connection: start the handshake now rather than after another wait.
        if (added.handshaking && open_transport(added) && !added.handshaking) service(added);
    }
}

void Server::on_event(Peer& peer, std::uint32_t events) {
    // EPOLLHUP: both directions are shut (a reset, or our half-close answered):
    // nothing more can be read or delivered.
    if (events & (EPOLLERR | EPOLLHUP)) {
        close_peer(peer);
        return;
    }
    if (peer.lingering) {
        // Discard whatever the client still sends; close at its EOF or the deadline.
        char sink[4096];
        ssize_t r;
        while ((r = ::recv(peer.watch.fd, sink, sizeof sink, 0)) > 0) {
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) close_peer(peer);
        return;
    }
    if (peer.transport) [[unlikely]] {
        on_transport_event(peer, events);
        return;
    }
    if ((events & (EPOLLIN | EPOLLRDHUP)) && !read_input(peer)) return;
    service(peer);
}

bool Server::read_input(Peer& peer) {
    if (peer.transport) [[unlikely]]
        return read_transport(peer);
    Connection& conn = peer.conn;
    for (int i = 0; i < io::reads_per_event && conn.wants_input(); ++i) {
        std::span<char> space = conn.input_space(i == 0 ? io::first_read : io::read_chunk);
        ssize_t r = ::recv(peer.watch.fd, space.data(), space.size(), 0);
        if (r > 0) {
            peer.last_active = now_;
            peer.pinged = false;
            conn.input_commit(static_cast<std::size_t>(r));
            if (static_cast<std::size_t>(r) < space.size()) break;
            continue;
        }
        if (r == 0) {
            conn.input_closed();
            break;
        }
        if (errno == EAGAIN || errno == EINTR) break;
        close_peer(peer);  // ECONNRESET and friends: nobody to answer
        return false;
    }
    return true;
}

void Server::service(Peer& peer, bool more_output, std::optional<bool> processed) {
    const InService serving(in_service_);
    const Serving this_one(serving_, peer.conn.id());
    Connection& conn = peer.conn;
    // A memory connection's input is read here, as the socket's is when epoll reports it.
    if (peer.pipe && memory_read(conn, *peer.pipe)) peer.last_active = now_;
    // Output backpressure pauses parsing; each complete send may unpause it.
    // The rounds are bounded so one pipelining client cannot hold the loop:
    // when work remains, writability (immediate on a drained socket) brings
    // the connection back after the other ready sockets had their turn.
    bool more = false;
    for (int round = 0;; ++round) {
        // `processed`: serve_batch ran the first process() already.
        const bool held = round == 0 && processed ? *processed : conn.process();
        if (!send_output(peer, more_output)) return;
        // Only backpressure stops processing short of the input's end.
        if (!held || conn.sending() || !conn.wants_input()) break;
        if (round == 8) {
            more = true;
            break;
        }
    }
    if (conn.finished() && !conn.sending()) {
        start_linger(peer);
        return;
    }
    if (conn.input_closed_by_peer() && conn.in_flight() > 0) {
        // The client closed its side while answers are still being computed:
        // like nginx (its 499), take it as gone and cancel that work. What was
        // already answered has been sent above. Only a client that reads
        // after a half-close can tell the difference, and TCP cannot.
        close_peer(peer);
        return;
    }
    if (!conn.reading_head()) {
        peer.head_since = 0;
    } else if (peer.head_since == 0) {
        peer.head_since = now_;
    }
    // Idle between requests: the buffers go back to the pool, so idle
    // keep-alive connections hold no buffer memory.
    conn.release_idle_buffers();
    update_interest(peer, more);
}

bool Server::send_output(Peer& peer, bool more) {
    // More to follow at once (a producer's pieces): the kernel keeps a last
    // partial segment back to fill it with the next piece, instead of sending
    // a small packet after each piece (half the packets of a stream of 64 KiB
    // pieces were the few bytes past a full segment). A send without
    // MSG_MORE lets the kept segment go; with nothing left to send, setting
    // TCP_NODELAY again pushes it.
    if (peer.pipe) return write_out(peer, 0);
    if (more && !peer.transport) peer.corked = true;
    if (!write_out(peer, MSG_NOSIGNAL | (more ? MSG_MORE : 0))) return false;
    if (!more && peer.corked) {
        const int one = 1;
        setsockopt(peer.watch.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        peer.corked = false;
    }
    return true;
}

bool Server::write_out(Peer& peer, int flags) {
    if (peer.pipe) {
        if (memory_write(peer.conn, *peer.pipe)) peer.last_active = now_;
        return true;
    }
    if (peer.transport) [[unlikely]]
        return write_transport(peer);
    Connection& conn = peer.conn;
    Buffer& out = conn.output();
    for (int file_sends = 0;;) {
        while (!out.empty() || conn.has_lent()) {
            ssize_t w;
            if (!conn.has_lent()) {
                w = ::send(peer.watch.fd, out.data(), out.size(), flags);
            } else {
                // A stream's piece sent from the producer's memory, between
                // what is buffered (its chunk's size line) and its chunk's end.
                iovec iov[3];
                std::size_t n = 0;
                if (!out.empty()) iov[n++] = {out.data(), out.size()};
                for (std::string_view part : conn.lent()) {
                    if (!part.empty()) iov[n++] = {const_cast<char*>(part.data()), part.size()};
                }
                msghdr msg{};
                msg.msg_iov = iov;
                msg.msg_iovlen = n;
                w = ::sendmsg(peer.watch.fd, &msg, flags);
            }
            if (w > 0) {
                peer.last_active = now_;
                if (!(flags & MSG_MORE))
                    peer.corked = false;  // this send pushed the kept segment too
                const auto sent = static_cast<std::size_t>(w);
                const std::size_t buffered = std::min(sent, out.size());
                conn.output_sent(buffered);
                if (sent > buffered) conn.lent_sent(sent - buffered);
                continue;
            }
            if (w < 0 && (errno == EAGAIN || errno == EINTR)) return true;
            close_peer(peer);
            return false;
        }
        const OpenBody* file = conn.file_to_send();
        if (!file || file_sends++ == io::file_sends_per_event) return true;
        auto offset = static_cast<off_t>(file->offset);
        const auto count =
            static_cast<std::size_t>(std::min<std::uint64_t>(file->remaining, io::file_chunk));
        const ssize_t w = ::sendfile(peer.watch.fd, file->fd, &offset, count);
        if (w >= 0) {
            if (w > 0) peer.last_active = now_;
            conn.file_sent(static_cast<std::size_t>(w));  // 0: the file shrank
            continue;
        }
        if (errno == EAGAIN || errno == EINTR) return true;
        if (errno == EPIPE || errno == ECONNRESET) {
            close_peer(peer);
            return false;
        }
        conn.file_sent(0);  // the file could not be read (EIO, ...): cut the response
    }
}

void Server::update_interest(Peer& peer, bool more) {
    if (peer.pipe) {
        memory_interest(peer.conn, *peer.pipe, more);
        return;
    }
    // EPOLLRDHUP only while reading: it is level-triggered, and after a
    // half-close it would wake the loop on every turn. EPOLLHUP always comes.
    std::uint32_t want = 0;
    if (peer.conn.wants_input()) want |= EPOLLIN | EPOLLRDHUP;
    if (more || peer.conn.sending()) want |= EPOLLOUT;
    if (peer.transport) [[unlikely]]
        want |= transport_interest(peer);
    set_interest(peer, want);
}

void Server::set_interest(Peer& peer, std::uint32_t want) {
    if (want == peer.events) return;
    peer.events = want;
    epoll_event ev{};
    ev.events = want;
    ev.data.ptr = &peer.watch;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, peer.watch.fd, &ev);
}

void Server::start_linger(Peer& peer) {
    // Closing with unread input would make the kernel send RST, which can
    // destroy the response still in flight. Half-close instead, and let the
    // client close first (or the linger timeout expire).
    if (peer.conn.input_closed_by_peer()) {
        close_peer(peer);
        return;
    }
    if (peer.pipe) {  // the client reads EOF; what it still sends is dropped (memory_input)
        memory_ended(peer.conn.id(), *peer.pipe, false);
        peer.lingering = true;
        peer.last_active = now_;
        return;
    }
    if (peer.transport) peer.transport->close_write();
    ::shutdown(peer.watch.fd, SHUT_WR);
    peer.lingering = true;
    peer.last_active = now_;
    set_interest(peer, EPOLLIN | EPOLLRDHUP);
}

void Server::close_peer(Peer& peer) {
    const std::uint64_t id = peer.conn.id();
    if (peer.pipe) {
        memory_ended(id, *peer.pipe, true);
    } else {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, peer.watch.fd, nullptr);
        ::close(peer.watch.fd);
    }
    peers_.erase(id);  // destroys the connection; it abandons pending work
    set_listeners_enabled(true);
}

bool Server::mark_dirty(std::uint64_t connection_id) {
    auto it = peers_.find(connection_id);
    if (it == peers_.end() || it->second->dirty) return false;
    it->second->dirty = true;
    dirty_.push_back(connection_id);
    return dirty_.size() == 1;
}

void Server::flush() {
    // The two lists trade places, so neither is reallocated per flush. A
    // nested flush (not expected) gets a list of its own.
    std::vector<std::uint64_t> nested;
    std::vector<std::uint64_t>& ids = flushing_.empty() ? flushing_ : nested;
    ids.swap(dirty_);
    for (std::uint64_t id : ids) {
        auto it = peers_.find(id);
        if (it == peers_.end()) continue;
        it->second->dirty = false;
        service(*it->second);
    }
    ids.clear();
}

bool Server::service_now(std::uint64_t connection_id) {
    auto it = peers_.find(connection_id);
    if (it == peers_.end() || it->second->lingering) return false;
    if (in_service_ > 0) {
        // Called from application code that the engine is running: a service
        // must not start inside another. The one under way sends this
        // connection's output if it serves it; another connection's (a
        // broadcast from one request to other streams) waits for the flush.
        const bool sends = it->second->answering || connection_id == serving_;
        return !sends && mark_dirty(connection_id);
    }
    service(*it->second, true);
    // The next flush sends without MSG_MORE: what the kernel kept goes then,
    // once the producer has stopped for this turn of the loop.
    return mark_dirty(connection_id);
}

std::uint64_t Server::open_memory(std::string remote_addr, std::uint16_t remote_port) {
    const std::uint64_t id = next_id_++;
    auto peer = std::make_unique<Peer>(-1, id, limits_, *dispatcher_, date_);
    peer->conn.set_remote_addr(std::move(remote_addr));
    peer->conn.set_remote_port(remote_port);
    peer->conn.use_buffer_pool(&buffers_);
    peer->last_active = now_;
    auto pipe = std::make_unique<MemoryPipe>();
    peer->pipe = pipe.get();
    memory_.emplace(id, std::move(pipe));
    peers_.emplace(id, std::move(peer));
    return id;
}

Connection* Server::find(std::uint64_t connection_id) noexcept {
    auto it = peers_.find(connection_id);
    return it == peers_.end() ? nullptr : &it->second->conn;
}

}  // namespace lesto::net
