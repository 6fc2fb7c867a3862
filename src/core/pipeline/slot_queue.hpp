// slot_queue.hpp: the first-in, first-out queue a Connection keeps its owed answers in.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace lesto {

/// A queue over one std::vector: indexable from the front, and nothing
/// allocated until the first element. std::deque, which it replaces,
/// allocates its map and a first 512-byte node even empty: about 0.5 KiB
/// on every connection, idle keep-alives and WebSockets included (massif,
/// bench/RESULTS.md). A pipelined burst is short, so popping only moves
/// the front index; the vector is emptied (its capacity kept up to
/// `kept_capacity`) when the queue drains. References to elements last
/// until the next emplace_back or the queue draining, as a vector's do:
/// none is held across a dispatch.
template <class T> class SlotQueue {
public:
    static constexpr std::size_t kept_capacity = 4;

    bool empty() const noexcept { return head_ == items_.size(); }
    std::size_t size() const noexcept { return items_.size() - head_; }
    T& front() noexcept { return items_[head_]; }
    T& operator[](std::size_t i) noexcept { return items_[head_ + i]; }
    T& emplace_back() { return items_.emplace_back(); }
    /// Elements' room allocated, popped ones' included.
    std::size_t capacity() const noexcept { return items_.capacity(); }

    void pop_front() noexcept {
        if (++head_ < items_.size()) {
            items_[head_ - 1] = T{};  // what it held (its buffer) goes now, not at the drain
            return;
        }
        drain();
    }

    /// The elements from index `keep` on, moved out in order; this queue keeps the rest.
    SlotQueue take_from(std::size_t keep) {
        SlotQueue out;
        if (keep >= size()) return out;
        const auto first = items_.begin() + static_cast<std::ptrdiff_t>(head_ + keep);
        out.items_.assign(std::make_move_iterator(first), std::make_move_iterator(items_.end()));
        items_.erase(first, items_.end());
        if (empty()) drain();
        return out;
    }

    T* begin() noexcept { return items_.data() + head_; }
    T* end() noexcept { return items_.data() + items_.size(); }

private:
    /// Empty now: a burst's room goes, a few slots' stays.
    void drain() noexcept {
        if (items_.capacity() > kept_capacity) {
            std::vector<T>().swap(items_);
        } else {
            items_.clear();
        }
        head_ = 0;
    }

    std::vector<T> items_;
    std::size_t head_ = 0;  // items_[0, head_) are popped
};

}  // namespace lesto
