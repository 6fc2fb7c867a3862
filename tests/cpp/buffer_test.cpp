// buffer_test.cpp: the buffer every connection reads into and writes from.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "buffer/buffer.hpp"

namespace {

/// A buffer that takes its blocks from `pool` and gives them back to it.
lesto::Buffer pooled(lesto::BufferPool& pool) {
    lesto::Buffer b;
    b.use_pool(&pool);
    return b;
}

}  // namespace

TEST(Buffer, AppendConsumeAndGrowKeepPendingBytes) {
    lesto::Buffer b;
    std::string expect;
    for (int i = 0; i < 10000; ++i) {
        std::string piece = std::to_string(i) + ",";
        b.append(piece);
        expect += piece;
        if (i % 7 == 0) {
            b.consume(1);
            expect.erase(0, 1);
        }
    }
    EXPECT_TRUE(b.view() == expect) << "pending bytes differ";
    b.consume(b.size());
    EXPECT_TRUE(b.empty());
    b.shrink_if_empty(0);
    EXPECT_EQ(b.capacity(), 0u);
}

TEST(BufferPool, AnIdleBufferGivesItsBlockToTheNextBufferOfThatSize) {
    lesto::BufferPool pool(2 * lesto::BufferPool::min_size);
    lesto::Buffer a = pooled(pool);
    a.append("hello");
    const char* block = a.data();
    a.consume(5);
    a.shrink_if_empty(0);
    EXPECT_EQ(pool.spare(), 1u);
    EXPECT_EQ(a.capacity(), 0u);
    lesto::Buffer b = pooled(pool);
    b.append("again");
    EXPECT_EQ(b.data(), block);  // the same memory, no malloc
    EXPECT_EQ(b.view(), "again");
    EXPECT_EQ(pool.spare(), 0u);
}

TEST(BufferPool, OnlyExactSizesAreReusedAndAFullPoolFrees) {
    lesto::BufferPool pool(64 * 1024);  // room for the large block only
    {
        lesto::Buffer small = pooled(pool), large = pooled(pool);
        small.append("x");
        large.prepare(64 * 1024);
        EXPECT_EQ(large.capacity(), 64u * 1024);
    }  // both die, the large first: the pool keeps it, the small one is freed
    EXPECT_EQ(pool.spare(), 1u);
    lesto::Buffer c = pooled(pool);
    c.prepare(100000);  // a size the pool has no block of
    EXPECT_EQ(pool.spare(), 1u);
}

TEST(BufferPool, PendingBytesKeepTheirBlock) {
    lesto::BufferPool pool;
    lesto::Buffer a = pooled(pool);
    a.append("pending");
    a.shrink_if_empty(0);  // not empty: kept
    EXPECT_EQ(a.view(), "pending");
    EXPECT_EQ(pool.spare(), 0u);
}

TEST(BufferPool, ABlockAboveMaxSizeGoesBackToMalloc) {
    lesto::BufferPool pool(4 * lesto::BufferPool::max_size);
    {
        lesto::Buffer big = pooled(pool), kept = pooled(pool);
        big.prepare(lesto::BufferPool::max_size + 1);  // a large body's worth
        kept.prepare(lesto::BufferPool::max_size);
        EXPECT_EQ(big.capacity(), 2 * lesto::BufferPool::max_size);
    }
    EXPECT_EQ(pool.spare(), 1u);  // only the 1 MiB block is kept
    lesto::Buffer again = pooled(pool);
    again.prepare(lesto::BufferPool::max_size);
    EXPECT_EQ(pool.spare(), 0u);
}

TEST(BufferPool, EachSizeIsTakenFromItsOwnBlocks) {
    lesto::BufferPool pool;
    const char* small_block;
    const char* large_block;
    {
        lesto::Buffer small = pooled(pool), large = pooled(pool);
        small.append("x");
        large.prepare(64 * 1024);
        small_block = small.data();
        large_block = large.data();
        small.consume(1);
    }
    EXPECT_EQ(pool.spare(), 2u);
    lesto::Buffer a = pooled(pool), b = pooled(pool);
    a.prepare(64 * 1024);
    b.append("y");
    EXPECT_EQ(a.data(), large_block);
    EXPECT_EQ(b.data(), small_block);
    EXPECT_EQ(pool.spare(), 0u);
}

TEST(BufferPool, GrowingTakesTheLargerBlockFromThePoolAndGivesTheSmallerBack) {
    lesto::BufferPool pool;
    const char* eight_k;
    {
        lesto::Buffer warm = pooled(pool);
        warm.prepare(8192);
        eight_k = warm.data();
    }
    EXPECT_EQ(pool.spare(), 1u);
    lesto::Buffer a = pooled(pool);
    a.append(std::string(4096, 'a'));  // a 4 KiB block: the pool has none
    const char* four_k = a.data();
    a.append("b");  // grows into the pool's 8 KiB block; the 4 KiB one goes back
    EXPECT_EQ(a.data(), eight_k);
    EXPECT_EQ(a.view(), std::string(4096, 'a') + "b");
    EXPECT_EQ(pool.spare(), 1u);
    lesto::Buffer b = pooled(pool);
    b.append("c");
    EXPECT_EQ(b.data(), four_k);
    EXPECT_EQ(pool.spare(), 0u);
}

TEST(BufferPool, ItsBoundIsInBytes) {
    lesto::BufferPool pool(3 * lesto::BufferPool::min_size);
    {
        lesto::Buffer a = pooled(pool), b = pooled(pool), c = pooled(pool), d = pooled(pool);
        for (lesto::Buffer* x : {&a, &b, &c, &d}) x->append("x");
        lesto::Buffer big = pooled(pool);
        big.prepare(2 * lesto::BufferPool::min_size);
    }  // big dies first, then d, c, b, a: 8 KiB and one 4 KiB block fit, the rest is freed
    EXPECT_EQ(pool.spare(), 2u);
    lesto::Buffer e = pooled(pool);
    e.append("y");  // takes the 4 KiB block
    lesto::Buffer f = pooled(pool), g = pooled(pool);
    f.append("z");  // none left of that size
    g.prepare(2 * lesto::BufferPool::min_size);
    EXPECT_EQ(pool.spare(), 0u);
}

TEST(BufferPool, DecayFreesOnlyWhatStayedSpareAWholeTick) {
    constexpr std::size_t block = lesto::BufferPool::min_size;
    lesto::BufferPool pool;
    const auto give_back = [&](int n) {  // n buffers held at once, then all idle
        std::vector<lesto::Buffer> burst;
        for (int i = 0; i < n; ++i) {
            burst.push_back(pooled(pool));
            burst.back().append("x");
        }
        for (lesto::Buffer& b : burst) {
            b.consume(1);
            b.shrink_if_empty(0);
        }
    };
    give_back(100);
    EXPECT_EQ(pool.spare(), 100u);
    // The first tick after the burst: every block was given during it, none stayed spare.
    EXPECT_EQ(pool.decay(8 * block), 0u);
    // Ten of them are in use again during the next tick: those stay, and the
    // keep; the other blocks go.
    give_back(10);
    EXPECT_EQ(pool.decay(8 * block), (100u - 10u - 8u) * block);
    EXPECT_EQ(pool.spare(), 18u);
    EXPECT_EQ(pool.spare_bytes(), 18u * block);
    // A quiet tick: down to the keep.
    EXPECT_EQ(pool.decay(8 * block), 10u * block);
    EXPECT_EQ(pool.spare(), 8u);
    EXPECT_EQ(pool.decay(8 * block), 0u);
    lesto::Buffer again = pooled(pool);
    again.append("reused");  // what is kept still serves
    EXPECT_EQ(pool.spare(), 7u);
}
