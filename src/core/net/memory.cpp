// memory.cpp: the net::Server's memory connections: a client in this process, bytes in memory.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "net/server.hpp"
#include "net/server_peer.hpp"

namespace lesto::net {

namespace {

[[noreturn]] void unknown(std::uint64_t id) {
    throw std::invalid_argument("no memory connection " + std::to_string(id) +
                                " (never opened, or already closed by its client)");
}

}  // namespace

std::size_t Server::memory_input(std::uint64_t id, std::string_view bytes) {
    auto m = memory_.find(id);
    if (m == memory_.end()) unknown(id);
    MemoryPipe& pipe = *m->second;
    if (pipe.in_ended) {
        throw std::invalid_argument("memory connection " + std::to_string(id) +
                                    ": bytes sent after its end of input");
    }
    // Once the engine has ended its output, nothing reads: a socket's
    // lingering close drops what the client still sends, so do we.
    if (pipe.output_ended) return 0;
    pipe.in.append(bytes);
    auto p = peers_.find(id);
    if (p != peers_.end()) service(*p->second);
    return pipe.waiting();
}

void Server::memory_input_ended(std::uint64_t id) {
    auto m = memory_.find(id);
    if (m == memory_.end()) unknown(id);
    MemoryPipe& pipe = *m->second;
    pipe.in_ended = true;
    auto p = peers_.find(id);
    if (p == peers_.end()) return;
    if (pipe.output_ended) {
        close_peer(*p->second);  // a lingering connection closes at the client's EOF
        return;
    }
    service(*p->second);
}

std::string Server::take_memory_output(std::uint64_t id) {
    auto m = memory_.find(id);
    if (m == memory_.end()) unknown(id);
    std::string bytes;
    bytes.swap(m->second->out);
    // The room made lets output held back go on, as a socket's EPOLLOUT.
    const Connection* conn = find(id);
    if (!bytes.empty() && conn && conn->sending()) memory_later(id);
    return bytes;
}

MemoryState Server::memory_state(std::uint64_t id) {
    auto m = memory_.find(id);
    if (m == memory_.end()) unknown(id);
    const MemoryPipe& pipe = *m->second;
    MemoryState state;
    state.input_waiting = pipe.waiting();
    state.output_ended = pipe.output_ended;
    state.closed = pipe.closed;
    const Connection* conn = find(id);
    // Input it would read now means a service is on its way.
    state.idle = !conn || (conn->in_flight() == 0 && !conn->sending() &&
                           !(conn->wants_input() && pipe.waiting() > 0));
    return state;
}

void Server::close_memory(std::uint64_t id) {
    auto p = peers_.find(id);
    if (p != peers_.end()) close_peer(*p->second);
    memory_.erase(id);
}

bool Server::memory_read(Connection& conn, MemoryPipe& pipe) {
    // At most a window per service, as a socket's reads per event are
    // bounded: what is left is read at the next (memory_interest).
    std::size_t read = 0;
    while (read < memory_window && pipe.waiting() > 0 && conn.wants_input()) {
        const std::size_t n = std::min(pipe.waiting(), io::read_chunk);
        std::span<char> space = conn.input_space(n);
        std::memcpy(space.data(), pipe.in.data() + pipe.in_read, n);
        conn.input_commit(n);
        pipe.in_read += n;
        read += n;
    }
    if (pipe.in_read == pipe.in.size()) {
        pipe.in.clear();
        pipe.in_read = 0;
    }
    // A socket's recv returns 0 once what came before the EOF is read.
    if (pipe.in_ended && !pipe.eof_given && pipe.waiting() == 0 && conn.wants_input()) {
        conn.input_closed();
        pipe.eof_given = true;
    }
    return read > 0;
}

bool Server::memory_write(Connection& conn, MemoryPipe& pipe) {
    // What send(2) and sendfile(2) would take, into the client's window: the
    // output, a stream's lent piece, then a file's bytes (pread).
    const std::size_t before = pipe.out.size();
    Buffer& out = conn.output();
    while (pipe.room() > 0) {
        if (!out.empty()) {
            const std::size_t n = std::min(pipe.room(), out.size());
            pipe.out.append(out.data(), n);
            conn.output_sent(n);
            continue;
        }
        if (conn.has_lent()) {
            const std::array<std::string_view, 2> parts = conn.lent();
            std::size_t n = 0;
            for (std::string_view part : parts) {
                const std::size_t take = std::min(pipe.room(), part.size());
                pipe.out.append(part.data(), take);
                n += take;
            }
            conn.lent_sent(n);
            continue;
        }
        const OpenBody* file = conn.file_to_send();
        if (!file) break;
        const std::size_t count =
            static_cast<std::size_t>(std::min<std::uint64_t>(file->remaining, pipe.room()));
        const std::size_t at = pipe.out.size();
        pipe.out.resize(at + count);
        ssize_t r;
        do {
            r = ::pread(file->fd, pipe.out.data() + at, count, static_cast<off_t>(file->offset));
        } while (r < 0 && errno == EINTR);
        pipe.out.resize(at + static_cast<std::size_t>(std::max<ssize_t>(r, 0)));
        // 0: the file shrank, or could not be read (EIO, ...): the response is cut.
        conn.file_sent(static_cast<std::size_t>(std::max<ssize_t>(r, 0)));
    }
    return pipe.out.size() > before;
}

void Server::memory_interest(Connection& conn, const MemoryPipe& pipe, bool more) {
    // What epoll would report on a socket: input it can read now, or output
    // it has room for.
    const bool readable =
        conn.wants_input() && (pipe.waiting() > 0 || (pipe.in_ended && !pipe.eof_given));
    const bool writable = (more || conn.sending()) && pipe.room() > 0;
    if (readable || writable) memory_later(conn.id());
    // The end of every service: whatever changed (output, answers, state), the client looks again.
    if (memory_events_) memory_events_->memory_news(conn.id());
}

void Server::memory_ended(std::uint64_t id, MemoryPipe& pipe, bool closed) {
    pipe.output_ended = true;
    if (closed) {
        pipe.closed = true;
        pipe.in.clear();  // nobody reads it any more
        pipe.in_read = 0;
    }
    if (memory_events_) memory_events_->memory_news(id);
}

void Server::memory_later(std::uint64_t id) {
    // mark_dirty says whether this is the first since the last flush: then
    // nobody has asked for one yet.
    if (mark_dirty(id) && memory_events_) memory_events_->memory_flush();
}

}  // namespace lesto::net
