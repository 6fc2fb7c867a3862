// memory.hpp: connections of the net::Server whose bytes come from and go to memory, not a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lesto::net {

/// Bytes a memory connection's client has not taken yet, at most: a full
/// window holds the engine back as a full socket buffer would (a stream's
/// producer then waits), so an endless response costs bounded memory.
inline constexpr std::size_t memory_window = std::size_t{256} * 1024;

/// Told what happens on memory connections, since no epoll watches them.
/// Called from inside the engine: an implementation only takes note.
class MemoryEvents {
public:
    virtual ~MemoryEvents() = default;
    /// Connection `id` was served (it may have written, answered, become
    /// idle), ended its output or closed: its client looks again.
    virtual void memory_news(std::uint64_t id) noexcept = 0;
    /// A memory connection must be served again, as epoll would report it
    /// ready (it can take input now, or has room for output): call
    /// `Server::flush` once the event loop comes round.
    virtual void memory_flush() noexcept = 0;
};

/// Where a memory connection stands, seen from its client.
struct MemoryState {
    std::size_t input_waiting = 0;  ///< sent bytes the engine has not read yet
    /// The engine waits for the client: every request it dispatched is
    /// answered and the answers are in `out` (or taken), and no input waits
    /// that it would read now. True once the connection is closed.
    bool idle = false;
    bool output_ended = false;  ///< the engine writes nothing more (half-closed, or closed)
    bool closed = false;        ///< the engine closed the connection: it reads nothing either
};

/// One memory connection's two byte queues, owned by the Server; they outlive
/// the connection until its client forgets it (`Server::close_memory`), so
/// that what the engine wrote last can still be taken.
struct MemoryPipe {
    std::string in;             ///< from the client, not yet read by the engine
    std::size_t in_read = 0;    ///< bytes of `in` already read
    bool in_ended = false;      ///< the client sent EOF
    bool eof_given = false;     ///< the connection was told
    std::string out;            ///< written by the engine, not yet taken
    bool output_ended = false;  ///< the engine half-closed: it writes nothing more
    bool closed = false;        ///< the engine closed the connection

    std::size_t waiting() const noexcept { return in.size() - in_read; }
    std::size_t room() const noexcept {
        return out.size() < memory_window ? memory_window - out.size() : 0;
    }
};

}  // namespace lesto::net
