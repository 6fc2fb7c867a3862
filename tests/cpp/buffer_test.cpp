// buffer_test.cpp: the buffer every connection reads into and writes from.
#include <gtest/gtest.h>

#include <string>

#include "pipeline/buffer.hpp"

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
