// buffer.hpp: a growable byte buffer with a read cursor, for socket input and output.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace lesto {

/// Spare memory blocks for Buffers, so a connection can hand its buffers back
/// whenever it goes idle (a keep-alive connection between requests) without
/// a malloc and a free per request: the next buffer of that size reuses one.
/// A Buffer's blocks are powers of two, so each size has a free list of its
/// own, linked through the spare blocks' first bytes: taking or giving one is
/// a few instructions (on non-pipelined traffic both happen for every
/// request). Bounded: at most `max_bytes` in spare blocks, none above
/// `max_size` (a large body's memory goes back to malloc at once). Bytes, not
/// blocks: a hundred WebSockets each sending eight 4 KiB messages a turn hold
/// a 64 KiB block each until it is written, and 64 blocks (the bound before)
/// sent the rest back to malloc, whose pages the next turn faulted in again.
/// What a burst left (ten thousand connections answered in one turn leave
/// ten thousand blocks) goes back by `decay`, once a tick: the blocks no
/// Buffer needed for a whole tick, so a busy server keeps its working set
/// and an idle one lets go of its peak.
class BufferPool {
public:
    static constexpr std::size_t min_size = 4096;  // a Buffer's first block, its smallest size
    static constexpr std::size_t max_size = std::size_t{1} << 20;
    static constexpr std::size_t default_max_bytes = std::size_t{16} << 20;

    explicit BufferPool(std::size_t max_bytes = default_max_bytes) noexcept
        : max_bytes_(max_bytes) {}
    BufferPool(const BufferPool&) = delete;
    BufferPool& operator=(const BufferPool&) = delete;
    ~BufferPool() {
        for (char* p : free_)
            while (p) std::free(std::exchange(p, next(p)));
    }
    /// A spare block of exactly `size` bytes, or null.
    char* take(std::size_t size) noexcept {
        const int k = size_class(size);
        if (k < 0 || !free_[k]) return nullptr;
        char* p = free_[k];
        free_[k] = next(p);
        --spare_;
        spare_bytes_ -= size;
        if (spare_bytes_ < idle_bytes_) idle_bytes_ = spare_bytes_;
        return p;
    }
    /// Keep `data` for reuse; false when full or not a pooled size (the caller frees it).
    bool give(char* data, std::size_t size) noexcept {
        const int k = size_class(size);
        if (k < 0 || size > max_bytes_ - spare_bytes_) return false;
        std::memcpy(data, &free_[k], sizeof(char*));
        free_[k] = data;
        ++spare_;
        spare_bytes_ += size;
        return true;
    }
    std::size_t spare() const noexcept { return spare_; }
    std::size_t spare_bytes() const noexcept { return spare_bytes_; }

    /// Frees the spare blocks that stayed spare since the last call, the
    /// largest first, but for `keep` bytes of them (give or take a block);
    /// returns the bytes freed.
    std::size_t decay(std::size_t keep) noexcept {
        const std::size_t excess = idle_bytes_ > keep ? idle_bytes_ - keep : 0;
        std::size_t freed = 0;
        for (int k = classes - 1; k >= 0 && freed < excess; --k) {
            while (free_[k] && freed < excess) {
                std::free(std::exchange(free_[k], next(free_[k])));
                --spare_;
                spare_bytes_ -= min_size << k;
                freed += min_size << k;
            }
        }
        idle_bytes_ = spare_bytes_;
        return freed;
    }

private:
    static constexpr int classes = std::countr_zero(max_size) - std::countr_zero(min_size) + 1;
    static int size_class(std::size_t size) noexcept {
        // One tzcnt and a compare (std::has_single_bit is a libgcc call without -mpopcnt).
        const int k = std::countr_zero(size) - std::countr_zero(min_size);
        return k >= 0 && k < classes && size == min_size << k ? k : -1;
    }
    static char* next(const char* block) noexcept {
        char* p;
        std::memcpy(&p, block, sizeof p);
        return p;
    }

    char* free_[classes] = {};  // the head of each size's list
    std::size_t spare_ = 0;
    std::size_t spare_bytes_ = 0;
    std::size_t idle_bytes_ = 0;  // the fewest spare bytes since the last decay: none was taken
    std::size_t max_bytes_;
};

/// Bytes in [begin, end) are pending; appends go to the end, `consume` moves
/// the begin. Unlike std::string, growing never zero-fills, and the pending
/// bytes move to the front only when space is needed (`compact`).
class Buffer {
public:
    Buffer() noexcept = default;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    Buffer(Buffer&& o) noexcept { swap(o); }
    Buffer& operator=(Buffer&& o) noexcept {
        Buffer(std::move(o)).swap(*this);
        return *this;
    }
    ~Buffer() { release(); }
    /// Take blocks from, and give them back to, `pool` (which must outlive this).
    void use_pool(BufferPool* pool) noexcept { pool_ = pool; }

    const char* data() const noexcept { return data_ + begin_; }
    char* data() noexcept { return data_ + begin_; }
    std::size_t size() const noexcept { return end_ - begin_; }
    bool empty() const noexcept { return begin_ == end_; }
    std::size_t capacity() const noexcept { return cap_; }
    std::string_view view() const noexcept { return {data(), size()}; }

    /// Writable space of at least `n` bytes after the end; call `commit` with
    /// what was written. May move the pending bytes (invalidating views).
    char* prepare(std::size_t n) {
        if (cap_ - end_ < n) grow(n);
        return data_ + end_;
    }
    void commit(std::size_t n) noexcept { end_ += n; }
    /// Forget the last `n` pending bytes (n <= size()): what a writer
    /// appended and then found it must take back.
    void drop_back(std::size_t n) noexcept {
        end_ -= n;
        if (begin_ == end_) begin_ = end_ = 0;
    }
    std::size_t tail_room() const noexcept { return cap_ - end_; }

    void append(const char* p, std::size_t n) {
        if (n == 0) return;  // p may be null then, which memcpy must not get
        std::memcpy(prepare(n), p, n);
        end_ += n;
    }
    void append(std::string_view s) { append(s.data(), s.size()); }
    void push_back(char c) {
        *prepare(1) = c;
        ++end_;
    }

    void consume(std::size_t n) noexcept {
        begin_ += n;
        if (begin_ == end_) begin_ = end_ = 0;
    }
    void clear() noexcept { begin_ = end_ = 0; }

    /// Release memory when the buffer is empty and larger than `keep` bytes,
    /// so an idle connection does not hold a large body's worth of memory.
    void shrink_if_empty(std::size_t keep) noexcept {
        if (empty() && cap_ > keep) {
            release();
            data_ = nullptr;
            cap_ = 0;
            begin_ = end_ = 0;
        }
    }

    void swap(Buffer& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(cap_, o.cap_);
        std::swap(begin_, o.begin_);
        std::swap(end_, o.end_);
        std::swap(pool_, o.pool_);
    }

private:
    void release() noexcept {
        if (data_ && !(pool_ && pool_->give(data_, cap_))) std::free(data_);
    }

    void grow(std::size_t n) {
        if (cap_ == 0) return first_block(n);
        std::size_t pending = end_ - begin_;
        if (begin_ > 0 && cap_ - pending >= n && begin_ >= pending) {
            // Enough room once the consumed prefix is reclaimed.
            std::memmove(data_, data_ + begin_, pending);
        } else {
            std::size_t want = cap_ * 2;
            while (want < pending + n) want *= 2;
            // Through the pool both ways, as first_block: a connection whose
            // output grows to 64 KiB each turn (eight 4 KiB WebSocket
            // messages) and is given back when idle would otherwise have
            // glibc hand back and map again the larger blocks, and fault in
            // their pages on each copy (9 % of the server's time in
            // bench/ws.py's 4 KiB echo).
            char* p = pool_ ? pool_->take(want) : nullptr;
            if (!p && !(p = static_cast<char*>(std::malloc(want)))) throw std::bad_alloc();
            if (pending) std::memcpy(p, data_ + begin_, pending);
            release();
            data_ = p;
            cap_ = want;
        }
        begin_ = 0;
        end_ = pending;
    }

    // No memory yet (a new buffer, or an idle one since shrink_if_empty): a
    // keep-alive connection's every request starts here, so it is kept short.
    void first_block(std::size_t n) {
        const std::size_t want = n <= min_block ? min_block : std::bit_ceil(n);
        char* p = pool_ ? pool_->take(want) : nullptr;
        if (!p && !(p = static_cast<char*>(std::malloc(want)))) throw std::bad_alloc();
        data_ = p;
        cap_ = want;
        begin_ = end_ = 0;
    }
    static constexpr std::size_t min_block = BufferPool::min_size;

    char* data_ = nullptr;
    std::size_t cap_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    BufferPool* pool_ = nullptr;
};

}  // namespace lesto
