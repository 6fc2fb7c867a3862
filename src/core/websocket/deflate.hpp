// deflate.hpp: permessage-deflate's compressor and decompressor (RFC 7692 7.2), raw DEFLATE by
// zlib.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "buffer/buffer.hpp"
#include "websocket/extensions.hpp"

namespace lesto::ws {

/// Inflates the messages of a client, one after another, each given in
/// pieces as its frames arrive. With context takeover (the default) the
/// window carries over from one message to the next. Without, nothing
/// does: zlib's stream lives only while a message comes in, so an idle
/// connection holds none of its memory (some 40 KiB at 15 bits).
class Inflater {
public:
    enum class Result : std::uint8_t { ok, too_big, corrupt };

    /// zlib's stream is made at the first `feed` (of each message without
    /// context takeover), its window at the first inflate; that `feed`
    /// throws std::bad_alloc when zlib cannot get its memory.
    explicit Inflater(const DeflateParams& params);
    ~Inflater();
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    /// Inflates `in`, a piece of one message's payload, appending to `out`;
    /// too_big as soon as `out` would hold more than `limit` bytes (so a
    /// small payload cannot make a huge message: the bound is on what
    /// comes out), corrupt when `in` is not DEFLATE data.
    Result feed(std::string_view in, Buffer& out, std::size_t limit);
    /// The message ended: inflates the 00 00 ff ff that the sender took off
    /// (7.2.2), then forgets the window without context takeover.
    Result finish(Buffer& out, std::size_t limit);
    /// Between messages, on an idle connection: keeps only the window's
    /// bytes (what the client's next message may refer back to, at most
    /// 32 KiB) and frees zlib's stream; the next `feed` makes a new one
    /// with them. False, keeping the stream, when zlib fails or the last
    /// message did not end on a block boundary.
    bool park() noexcept;

private:
    struct Stream;
    std::unique_ptr<Stream> z_;  // null until the first feed, between messages if reset, parked
    std::string parked_;         // the window while parked
    bool reset_after_message_;
};

/// Compresses the server's messages, each on its own or, with context
/// takeover, each with the window the earlier ones left. Each on its own
/// (server_no_context_takeover), zlib's stream lives only during `compress`:
/// between messages it would hold a quarter of a megabyte of tables (at 15
/// bits and memLevel 8) that the next message resets anyway.
class Deflater {
public:
    /// zlib's stream is made at the first `compress`.
    explicit Deflater(const DeflateParams& params);
    ~Deflater();
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;

    /// Compresses a whole message into `out` (appended): DEFLATE blocks
    /// ending in a sync flush, less its 00 00 ff ff tail (7.2.1). False
    /// when zlib fails (out of memory); `out` then holds nothing new that counts.
    bool compress(std::string_view message, Buffer& out);
    /// On an idle connection: keeps only the window's bytes (what the next
    /// message may refer back to, as the client's window holds them, at
    /// most 2^bits) and frees zlib's tables; the next `compress` makes a new
    /// stream primed with them. False, keeping the stream, when zlib fails.
    bool park() noexcept;

private:
    struct Stream;
    bool open();
    std::unique_ptr<Stream> z_;  // null until the first message, between messages if reset, parked
    std::string parked_;         // the window while parked
    int window_bits_;
    int level_;
    int mem_level_;
    bool reset_after_message_;
};

/// The four bytes a sync flush ends with, which permessage-deflate leaves off.
inline constexpr std::string_view sync_tail{"\x00\x00\xff\xff", 4};

}  // namespace lesto::ws
