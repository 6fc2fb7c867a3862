// transport.hpp: how a connection's bytes move when they do not go straight to its socket.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace lesto::net {

class TlsPeer;

/// What one transport operation did.
struct IoResult {
    enum class Status : std::uint8_t {
        ok,           ///< `n` bytes moved (for `open`: the transport is ready for data)
        want_read,    ///< nothing more now: wait until the socket is readable
        want_write,   ///< nothing more now: wait until the socket is writable
        closed,       ///< the peer closed its side cleanly (reads only)
        failed,       ///< the connection cannot go on; `Transport::failure` says why
        unsupported,  ///< `send_file`: the transport cannot; the caller reads and writes
    };
    Status status;
    std::size_t n = 0;
};

/// A connection's transport when it is not plain TCP (which `Server` moves
/// inline, with recv/send/sendfile: the common path costs no virtual call).
/// TLS is the one kind today; an in-memory pair for an in-process client
/// would be another. Every operation is nonblocking and partial.
class Transport {
public:
    virtual ~Transport() = default;
    /// Drive the transport's own opening (a TLS handshake) on; `ok` once data may flow.
    virtual IoResult open() = 0;
    /// Bytes from the peer into `into`, as many as are at hand: a result
    /// shorter than `into` means nothing more is waiting in the transport
    /// (as after a short recv; what the socket still holds, its readiness
    /// announces).
    virtual IoResult read(std::span<char> into) = 0;
    /// Some of `bytes` to the peer. After `want_write`, the next write starts
    /// with the same bytes (the caller's buffer may have moved and grown).
    virtual IoResult write(std::string_view bytes) = 0;
    /// Up to `count` bytes of file `fd` from `offset`; `unsupported` when the
    /// transport can only send bytes it is given.
    virtual IoResult send_file(int fd, off_t offset, std::size_t count) = 0;
    /// Input already taken off the socket and not yet read: the socket will
    /// not signal it, so the caller reads again without waiting.
    virtual bool has_pending_input() const noexcept = 0;
    /// Nothing more will be written: tell the peer, at the transport's level
    /// (TLS close_notify), best effort. The caller shuts the socket's side down after.
    virtual void close_write() noexcept = 0;
    /// Why the last operation failed (`failed`), in words for a log line.
    virtual std::string_view failure() const noexcept = 0;
    /// What TLS agreed with the peer once `open` said ok; null for a transport without TLS.
    virtual std::shared_ptr<const TlsPeer> secure_peer() const = 0;
    /// Whether files go out through the kernel (`send_file` works).
    virtual bool sends_files() const noexcept = 0;
};

}  // namespace lesto::net
