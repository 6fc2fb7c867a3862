// server_peer.hpp: what the socket side keeps per connection (server.cpp and server_transport.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>

#include "net/server.hpp"
#include "net/transport.hpp"

namespace lesto::net {

namespace io {
inline constexpr std::size_t read_chunk = std::size_t{64} * 1024;
// The first read of an event, into an empty buffer: a request as a rule
// fits, and serve_batch holds every ready connection's input at once (64
// KiB each made a batch of 50 connections hold 3 MiB). A read that fills
// it goes on into room of read_chunk.
inline constexpr std::size_t first_read = std::size_t{4} * 1024;
// Reads per readiness event before yielding to other sockets: large bodies
// arrive fast, yet one client cannot monopolise the loop.
inline constexpr int reads_per_event = 16;
// Bytes of a file per sendfile(2): large enough that a fast client costs few
// calls, small enough that one download cannot hold the loop for long.
inline constexpr std::size_t file_chunk = std::size_t{1024} * 1024;
inline constexpr int file_sends_per_event = 4;
// Bytes of a file read per piece when the transport cannot send files
// itself (TLS without kernel TLS): four TLS records, in the output buffer.
inline constexpr std::size_t file_copy_chunk = std::size_t{64} * 1024;
}  // namespace io

struct Server::Peer {
    Watch watch;
    Connection conn;
    std::uint32_t events = 0;  // interest currently registered with epoll
    // Last read or write progress. While a transport's handshake is under
    // way, the time it was accepted: its timeout counts from there however
    // slowly the client dribbles its part.
    std::time_t last_active = 0;
    std::time_t head_since = 0;  // first byte of the head being read, 0 when none
    bool dirty = false;
    // In the answering pass of a batch (Server::serve_batch): the pass
    // after it sends what application code writes to this connection.
    bool answering = false;
    bool lingering = false;
    bool corked = false;       // a send with MSG_MORE may have left a segment in the kernel
    bool pinged = false;       // a WebSocket keep-alive ping went out and nothing came back since
    bool handshaking = false;  // the transport is not open yet (Transport::open)
    bool read_needs_write = false;  // the transport's last read waits for writability
    bool write_needs_read = false;  // the transport's last write waits for readability
    // Last, so that the plain path's fields keep their places.
    std::unique_ptr<Transport> transport;  // null: plain TCP, which the server moves inline
    MemoryPipe* pipe = nullptr;            // a memory connection's bytes (memory.cpp); else null

    Peer(int fd, std::uint64_t id, const ConnectionLimits& limits, Dispatcher& d,
         const http::DateCache& date)
        : watch{false, fd, this}, conn(id, limits, d, date) {}

    /// Asks for every cache line of the Peer whose Watch is at `w` (the Watch
    /// is its first member); for a listener's Watch the extra lines are
    /// harmless, a prefetch never faults.
    static void prefetch(const void* w) noexcept {
        const char* const p = static_cast<const char*>(w);
        for (std::size_t off = 0; off < sizeof(Peer); off += 64) __builtin_prefetch(p + off);
    }
};

}  // namespace lesto::net
