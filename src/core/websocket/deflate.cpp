// deflate.cpp: zlib's raw DEFLATE behind permessage-deflate's rules: sync tails, bounds, resets.
#include "websocket/deflate.hpp"

#include <sys/mman.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace lesto::ws {
namespace {

/// Output is made at most this much at a time: a small payload that
/// inflates hugely is stopped at the bound, not after.
constexpr std::size_t max_step = std::size_t{256} * 1024;

/// zlib counts in uInt: a larger piece goes in several calls.
constexpr std::size_t max_uint = UINT_MAX;

Bytef* bytes(const char* p) noexcept {
    // zlib's next_in is not const (before ZLIB_CONST); it never writes there.
    return reinterpret_cast<Bytef*>(const_cast<char*>(p));
}

/// The bytes of a stream's window into `into`, by `get` (inflateGetDictionary
/// or deflateGetDictionary: at most 2^bits, zlib says how many first); false
/// when zlib or the allocation fails.
template <class Get> bool copy_window(z_stream& z, Get get, std::string& into) noexcept {
    uInt size = 0;
    if (get(&z, nullptr, &size) != Z_OK) return false;
    try {
        into.assign(size, '\0');
    } catch (const std::bad_alloc&) {
        return false;
    }
    if (size > 0 && get(&z, reinterpret_cast<Bytef*>(into.data()), &size) != Z_OK) {
        into.clear();
        return false;
    }
    return true;
}

/// The memory of a zlib stream that lives as long as its connection (context
/// takeover): zlib's blocks come, in order, from one anonymous mapping,
/// which goes back to the kernel whole when the stream ends (parked or
/// closed). From malloc, a parked connection's tables would stay in the
/// process (glibc keeps freed chunks for reuse) and an idle server's memory
/// at its peak. Pages of the reservation never touched cost nothing. A
/// block that does not fit, or a failed mapping, comes from malloc.
class StreamMemory {
public:
    explicit StreamMemory(std::size_t reserve) noexcept : reserve_(reserve) {}
    ~StreamMemory() {
        if (base_) munmap(base_, reserve_);
    }
    StreamMemory(const StreamMemory&) = delete;
    StreamMemory& operator=(const StreamMemory&) = delete;

    /// Makes `z` take its memory from here.
    void serve(z_stream& z) noexcept {
        z.zalloc = &alloc;
        z.zfree = &release;
        z.opaque = this;
    }

private:
    static voidpf alloc(voidpf self, uInt items, uInt size) noexcept {
        return static_cast<StreamMemory*>(self)->take(std::size_t{items} * size);
    }
    static void release(voidpf self, voidpf block) noexcept {
        auto* m = static_cast<StreamMemory*>(self);
        const auto* p = static_cast<const char*>(block);
        if (!m->base_ || p < m->base_ || p >= m->base_ + m->reserve_) std::free(block);
        // In the mapping: it goes with the rest.
    }

    void* take(std::size_t n) noexcept {
        constexpr std::size_t align = 64;
        n = (n + align - 1) / align * align;
        if (!base_ && !failed_) {
            void* p =
                mmap(nullptr, reserve_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            failed_ = p == MAP_FAILED;  // too many mappings, say: malloc will do
            if (!failed_) base_ = static_cast<char*>(p);
        }
        if (!base_ || reserve_ - used_ < n) return std::malloc(n);
        char* p = base_ + used_;
        used_ += n;
        return p;
    }

    char* base_ = nullptr;
    std::size_t reserve_;
    std::size_t used_ = 0;
    bool failed_ = false;
};

/// The inflate window, whatever client_max_window_bits was agreed (7.1.2.2).
/// zlib takes a reference further back than its window when the bytes are
/// in the output of the same inflate call: with the agreed window, a client
/// that broke its word would be caught in some splits of its frames and not
/// in others. With the largest window, a reference is good exactly when the
/// bytes it names were sent (DEFLATE cannot reach further), however the
/// wire was cut. The cost is memory: up to 32 KiB of window for a client
/// that sends that much, where it said it would need less.
constexpr int inflate_window_bits = 15;

/// Room for zlib's state structure, which zlib.h does not size (some 6 KiB for
/// deflate and 7 KiB for inflate in zlib 1.2 and 1.3).
constexpr std::size_t state_room = std::size_t{16} * 1024;

}  // namespace

// ---- Inflater ----------------------------------------------------------------------------

struct Inflater::Stream {
    // Declared first, destroyed last: inflateEnd gives its blocks back before.
    StreamMemory memory;
    z_stream z{};
    /// `mapped`: for the connection's life (context takeover), see StreamMemory.
    Stream(int window_bits, bool mapped) : memory(state_room + (std::size_t{1} << window_bits)) {
        if (mapped) memory.serve(z);
        if (inflateInit2(&z, -window_bits) != Z_OK) throw std::bad_alloc();
    }
    ~Stream() { inflateEnd(&z); }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
};

Inflater::Inflater(const DeflateParams& params)
    : reset_after_message_(params.client_no_context_takeover) {}

Inflater::~Inflater() = default;

Inflater::Result Inflater::feed(std::string_view in, Buffer& out, std::size_t limit) {
    if (!z_) {
        auto stream = std::make_unique<Stream>(inflate_window_bits, !reset_after_message_);
        // A raw stream takes a dictionary at any time (zlib.h): the window it had.
        if (!parked_.empty() && inflateSetDictionary(&stream->z, bytes(parked_.data()),
                                                     static_cast<uInt>(parked_.size())) != Z_OK)
            return Result::corrupt;
        std::string().swap(parked_);
        z_ = std::move(stream);
    }
    z_stream& z = z_->z;
    const char* next = in.data();
    std::size_t left = in.size();
    bool full = false;  // the last call filled its space: more output may wait
    while (left > 0 || full || z.avail_in > 0) {
        if (z.avail_in == 0) {
            const std::size_t n = std::min(left, max_uint);
            z.next_in = bytes(next);
            z.avail_in = static_cast<uInt>(n);
            next += n;
            left -= n;
        }
        std::size_t step =
            std::min(std::max<std::size_t>(4096, std::size_t{z.avail_in} * 4), max_step);
        // One byte past the bound is asked for: making it means too big.
        const std::size_t room = limit - out.size();
        if (room < step) step = room + 1;
        char* p = out.prepare(step);
        z.next_out = reinterpret_cast<Bytef*>(p);
        z.avail_out = static_cast<uInt>(step);
        const int r = inflate(&z, Z_SYNC_FLUSH);
        out.commit(step - z.avail_out);
        if (out.size() > limit) return Result::too_big;
        full = z.avail_out == 0;
        if (r == Z_STREAM_END) {
            // A block with BFINAL set ends zlib's stream, but not the
            // message's (RFC 7692 7.2.3.5): start a new stream that keeps the
            // window, unless the message was to be taken on its own anyway.
            if (reset_after_message_) {
                if (inflateReset(&z) != Z_OK) return Result::corrupt;
                continue;
            }
            auto window = std::make_unique<Bytef[]>(std::size_t{1} << inflate_window_bits);
            uInt size = 0;
            if (inflateGetDictionary(&z, window.get(), &size) != Z_OK || inflateReset(&z) != Z_OK ||
                inflateSetDictionary(&z, window.get(), size) != Z_OK)
                return Result::corrupt;
            continue;
        }
        if (r == Z_BUF_ERROR) {
            // No progress: all input taken and nothing more to give.
            if (left == 0 && z.avail_in == 0) break;
            return Result::corrupt;
        }
        if (r != Z_OK) return Result::corrupt;
    }
    return Result::ok;
}

Inflater::Result Inflater::finish(Buffer& out, std::size_t limit) {
    const Result r = feed(sync_tail, out, limit);
    if (reset_after_message_) z_.reset();  // the next message starts afresh
    return r;
}

bool Inflater::park() noexcept {
    if (!z_ || reset_after_message_) return true;  // nothing kept to begin with
    // Only where a new stream could take over: before a block header, on a
    // byte boundary (zlib's data_type is then exactly 128), which a sync
    // flush leaves. A message that ended inside a block (no conforming
    // client sends one) leaves state that the window alone does not hold.
    if (z_->z.data_type != 128) return false;
    if (!copy_window(z_->z, inflateGetDictionary, parked_)) return false;
    z_.reset();
    return true;
}

// ---- Deflater ----------------------------------------------------------------------------

struct Deflater::Stream {
    // Declared first, destroyed last: deflateEnd gives its blocks back before.
    StreamMemory memory;
    z_stream z{};
    bool ready = false;  // deflateInit2 succeeded
    /// What deflateInit2 asks for: the window twice over, as many 16-bit
    /// links, a hash head of 2^(memLevel+7) of them, and the pending buffer
    /// of 2^(memLevel+6) symbols of 4 bytes (5 in zlib 1.3's LIT_MEM builds).
    Stream(int window_bits, int mem_level)
        : memory(state_room + (std::size_t{4} << window_bits) +
                 (std::size_t{2} << (mem_level + 7)) + (std::size_t{5} << (mem_level + 6))) {}
    ~Stream() {
        if (ready) deflateEnd(&z);
    }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
};

Deflater::Deflater(const DeflateParams& params)
    // zlib refuses a raw window of 8 bits (256 bytes) since 1.2.9: its
    // deflate cannot keep within one. With 9 bits it still never refers
    // further back than 512 - 262 = 250 bytes (the window less
    // MIN_LOOKAHEAD, zlib's MAX_DIST), so the client's 256-byte window
    // inflates what it makes: server_max_window_bits=8 is kept.
    : window_bits_(std::clamp<int>(params.server_max_window_bits, 9, 15)),
      level_(std::clamp<int>(params.level, 1, 9)),
      mem_level_(std::clamp<int>(params.mem_level, 1, 9)),
      reset_after_message_(params.server_no_context_takeover) {}

Deflater::~Deflater() = default;

bool Deflater::open() {
    auto stream = std::make_unique<Stream>(window_bits_, mem_level_);
    // Each message on its own, the stream lasts one message: malloc's reuse
    // is quicker than a mapping a message.
    if (!reset_after_message_) stream->memory.serve(stream->z);
    stream->ready = deflateInit2(&stream->z, level_, Z_DEFLATED, -window_bits_, mem_level_,
                                 Z_DEFAULT_STRATEGY) == Z_OK;
    if (!stream->ready) return false;  // out of memory
    // Before any deflate call a raw stream takes a dictionary (zlib.h): the
    // window it had when parked, which the client's inflater holds too.
    if (!parked_.empty() && deflateSetDictionary(&stream->z, bytes(parked_.data()),
                                                 static_cast<uInt>(parked_.size())) != Z_OK)
        return false;
    std::string().swap(parked_);
    z_ = std::move(stream);
    return true;
}

bool Deflater::park() noexcept {
    if (!z_ || reset_after_message_) return true;  // nothing kept to begin with
    if (!copy_window(z_->z, deflateGetDictionary, parked_)) return false;
    z_.reset();
    return true;
}

bool Deflater::compress(std::string_view message, Buffer& out) {
    if (!z_ && !open()) return false;
    z_stream& z = z_->z;
    const std::size_t start = out.size();
    const char* next = message.data();
    std::size_t left = message.size();
    for (;;) {
        if (z.avail_in == 0 && left > 0) {
            const std::size_t n = std::min(left, max_uint);
            z.next_in = bytes(next);
            z.avail_in = static_cast<uInt>(n);
            next += n;
            left -= n;
        }
        // The bound of one piece, plus the flush's few bytes.
        const std::size_t step =
            std::min<std::size_t>(deflateBound(&z, static_cast<uLong>(z.avail_in)) + 16, max_step);
        char* p = out.prepare(step);
        z.next_out = reinterpret_cast<Bytef*>(p);
        z.avail_out = static_cast<uInt>(step);
        const int r = deflate(&z, left > 0 ? Z_NO_FLUSH : Z_SYNC_FLUSH);
        out.commit(step - z.avail_out);
        if (r != Z_OK && r != Z_BUF_ERROR) return false;
        // Done when everything is in and the flush fitted.
        if (left == 0 && z.avail_in == 0 && z.avail_out != 0) break;
    }
    if (out.size() == start) {
        // Nothing new since the last flush (an empty message with the
        // window kept): zlib writes no block at all. 7.2.1 wants one empty
        // stored block less its tail: its header bits, one byte (7.2.3.6).
        out.push_back('\0');
    } else {
        // A sync flush ends with an empty stored block: 00 00 ff ff after
        // its header bits, which 7.2.1 takes off.
        if (out.size() - start < sync_tail.size() ||
            std::memcmp(out.data() + out.size() - sync_tail.size(), sync_tail.data(),
                        sync_tail.size()) != 0)
            return false;
        out.drop_back(sync_tail.size());
    }
    if (reset_after_message_) z_.reset();  // the next message starts afresh
    return true;
}

}  // namespace lesto::ws
