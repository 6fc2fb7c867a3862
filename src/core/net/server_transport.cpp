// server_transport.cpp: the Server's path for connections whose bytes go through a Transport (TLS).
//
// The plain path (server.cpp) moves bytes with recv, send and sendfile. Here
// the same steps ask the connection's Transport instead; what to read, what
// to send and when to stop are the Connection's, as for plain TCP.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "net/server.hpp"
#include "net/server_peer.hpp"

namespace lesto::net {

bool Server::open_transport(Peer& peer) {
    const IoResult r = peer.transport->open();
    switch (r.status) {
    case IoResult::Status::ok:
        peer.handshaking = false;
        peer.last_active = now_;
        peer.conn.set_tls(peer.transport->secure_peer());
        if (!kernel_tls_told_) {
            kernel_tls_told_ = true;
            dispatcher_->kernel_tls(peer.transport->sends_files());
        }
        return true;
    case IoResult::Status::want_read:
        set_interest(peer, EPOLLIN | EPOLLRDHUP);
        return true;
    case IoResult::Status::want_write:
        set_interest(peer, EPOLLOUT);
        return true;
    default:
        dispatcher_->handshake_failed(peer.conn, peer.transport->failure());
        close_peer(peer);
        return false;
    }
}

void Server::on_transport_event(Peer& peer, std::uint32_t events) {
    bool readable = events & (EPOLLIN | EPOLLRDHUP);
    if (peer.handshaking) {
        if (!open_transport(peer) || peer.handshaking) return;
        readable = false;  // the handshake took what the socket had
    }
    // Input the transport already holds (it came with the handshake's end,
    // or reading stopped short) is not announced by the socket.
    readable = readable || peer.transport->has_pending_input() ||
               (peer.read_needs_write && (events & EPOLLOUT));
    if (readable && !read_transport(peer)) return;
    service(peer);
}

bool Server::read_transport(Peer& peer) {
    Connection& conn = peer.conn;
    Transport& transport = *peer.transport;
    peer.read_needs_write = false;
    for (int i = 0; i < io::reads_per_event && conn.wants_input(); ++i) {
        const std::span<char> space = conn.input_space(io::read_chunk);
        const IoResult r = transport.read(space);
        switch (r.status) {
        case IoResult::Status::ok:
            peer.last_active = now_;
            peer.pinged = false;
            conn.input_commit(r.n);
            if (r.n < space.size()) return true;  // nothing more waiting
            continue;
        case IoResult::Status::closed:
            conn.input_closed();
            return true;
        case IoResult::Status::want_read:
            return true;
        case IoResult::Status::want_write:
            peer.read_needs_write = true;
            return true;
        default:
            close_peer(peer);  // a broken record, a reset: nobody to answer
            return false;
        }
    }
    return true;
}

bool Server::write_transport(Peer& peer) {
    if (peer.handshaking) return true;  // nothing is owed before the first request
    Connection& conn = peer.conn;
    Transport& transport = *peer.transport;
    peer.write_needs_read = false;
    // A stream's lent piece cannot join the output in one write here:
    // it becomes output (a copy, which the encryption dwarfs).
    if (conn.has_lent()) conn.absorb_lent();
    Buffer& out = conn.output();
    for (int file_sends = 0;;) {
        while (!out.empty()) {
            const IoResult r = transport.write(out.view());
            if (r.status == IoResult::Status::ok) {
                peer.last_active = now_;
                conn.output_sent(r.n);
                continue;
            }
            if (r.status == IoResult::Status::want_write) return true;
            if (r.status == IoResult::Status::want_read) {
                peer.write_needs_read = true;
                return true;
            }
            close_peer(peer);
            return false;
        }
        const OpenBody* file = conn.file_to_send();
        if (!file || file_sends++ == io::file_sends_per_event) return true;
        const auto count =
            static_cast<std::size_t>(std::min<std::uint64_t>(file->remaining, io::file_chunk));
        const IoResult r = transport.send_file(file->fd, static_cast<off_t>(file->offset), count);
        switch (r.status) {
        case IoResult::Status::ok:
            if (r.n > 0) peer.last_active = now_;
            conn.file_sent(r.n);  // 0: the file shrank
            continue;
        case IoResult::Status::want_write:
            return true;
        case IoResult::Status::unsupported: {
            // Read a piece into the output, which is empty now: from the
            // connection's view it is sent, and what follows it (the next
            // answers) is queued after it, in order. Bounded per piece and
            // per event, like sendfile.
            const std::size_t n = std::min(count, io::file_copy_chunk);
            char* space = out.prepare(n);
            const ssize_t got = ::pread(file->fd, space, n, static_cast<off_t>(file->offset));
            if (got < 0 && errno == EINTR) continue;
            const auto taken = got > 0 ? static_cast<std::size_t>(got) : 0;
            out.commit(taken);
            conn.file_sent(taken);  // 0: the file ended early or cannot be read: cut
            continue;
        }
        default:
            close_peer(peer);
            return false;
        }
    }
}

std::uint32_t Server::transport_interest(const Peer& peer) const noexcept {
    std::uint32_t want = 0;
    if (peer.write_needs_read) want |= EPOLLIN | EPOLLRDHUP;
    if (peer.read_needs_write) want |= EPOLLOUT;
    // Input the transport holds is not announced by the socket: writability,
    // immediate on a socket with room, brings the connection back (as the
    // bounded rounds of `service` do) once the others had their turn.
    if (peer.conn.wants_input() && peer.transport->has_pending_input()) want |= EPOLLOUT;
    return want;
}

}  // namespace lesto::net
