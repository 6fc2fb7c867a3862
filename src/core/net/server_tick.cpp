// server_tick.cpp: what net::Server does once a second: the Date header,
// the timeouts (idle, slow heads and bodies, writes, handshakes, WebSocket
// pings) and giving back the buffers a burst left.
#include <cstddef>
#include <ctime>
#include <vector>
// After a libc header: __GLIBC__ is defined by them.
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "net/server.hpp"
#include "net/server_peer.hpp"

namespace lesto::net {

void Server::tick(std::time_t now) {
    now_ = now;
    date_.refresh(now);
    set_listeners_enabled(true);
    std::vector<Peer*> expired;
    std::vector<Peer*> late;
    std::vector<Peer*> quiet_websockets;
    std::vector<Peer*> slow_handshakes;
    for (auto& [id, peer] : peers_) {
        const Connection& conn = peer->conn;
        const std::time_t quiet = now - peer->last_active;
        if (peer->handshaking) {
            if (quiet >= timeouts_.tls_handshake) slow_handshakes.push_back(peer.get());
        } else if (peer->lingering) {
            if (quiet >= timeouts_.linger) expired.push_back(peer.get());
        } else if (conn.sending()) {
            if (quiet >= timeouts_.write)
                expired.push_back(peer.get());  // the client stopped reading
        } else if (conn.reading_head()) {
            if (now - peer->head_since >= timeouts_.header) late.push_back(peer.get());
        } else if (conn.reading_body()) {
            if (quiet >= timeouts_.body) late.push_back(peer.get());
        } else if (conn.websocket()) {
            // Not while the app holds reading back: an answer could not be read.
            if (timeouts_.websocket_ping > 0 && quiet >= timeouts_.websocket_ping &&
                conn.wants_input())
                quiet_websockets.push_back(peer.get());
        } else if (conn.in_flight() == 0 && quiet >= timeouts_.keep_alive) {
            expired.push_back(peer.get());
        }
    }
    for (Peer* peer : expired) close_peer(*peer);
    for (Peer* peer : slow_handshakes) {
        dispatcher_->handshake_failed(peer->conn, "no handshake within the tls_handshake timeout");
        close_peer(*peer);
    }
    for (Peer* peer : quiet_websockets) {
        // The ping's own send makes the connection active again: a peer that
        // stays silent a whole interval after it is taken as gone.
        peer->pinged = peer->conn.ws_keepalive(peer->pinged);
        service(*peer);
    }
    for (Peer* peer : late) {
        peer->conn.abort(408, "request timeout: the request did not arrive in time");
        service(*peer);
    }
    release_idle_buffers();
}

void Server::release_idle_buffers() noexcept {
    // The blocks of the old bound (64 of 4 KiB) stay whatever happens.
    static constexpr std::size_t keep = std::size_t{256} * 1024;
    static constexpr std::size_t worth_trimming = std::size_t{1} << 20;
    if (buffers_.decay(keep) < worth_trimming) return;
#ifdef __GLIBC__
    // Blocks below glibc's mmap threshold (128 KiB) lie amid the heap, where
    // free() does not give pages back. malloc_trim walks the free chunks,
    // so only after a burst's worth was freed, not every tick.
    malloc_trim(0);
#endif
}

}  // namespace lesto::net
