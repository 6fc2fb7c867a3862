// slot_queue_test.cpp: the queue of a connection's owed answers, against std::deque as a model.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>
#include <string>

#include "pipeline/slot_queue.hpp"

namespace {

using lesto::SlotQueue;

/// Whatever the queue does, it holds what a std::deque would, in order.
void expect_same(SlotQueue<std::string>& q, const std::deque<std::string>& model) {
    ASSERT_EQ(q.size(), model.size());
    ASSERT_EQ(q.empty(), model.empty());
    for (std::size_t i = 0; i < model.size(); ++i) EXPECT_EQ(q[i], model[i]) << "at " << i;
    std::size_t i = 0;
    for (const std::string& s : q) EXPECT_EQ(s, model[i++]);
    EXPECT_EQ(i, model.size());
}

}  // namespace

TEST(SlotQueue, MatchesADequeUnderRandomUse) {
    std::mt19937_64 rng(42);
    SlotQueue<std::string> q;
    std::deque<std::string> model;
    int next = 0;
    for (int step = 0; step < 20000; ++step) {
        const auto op = rng() % 8;
        if (op < 4) {  // pipelined requests arrive in bursts
            const std::string v = "answer " + std::to_string(next++);
            q.emplace_back() = v;
            model.push_back(v);
        } else if (op < 7) {
            if (model.empty()) continue;
            EXPECT_EQ(q.front(), model.front());
            q.pop_front();
            model.pop_front();
        } else {
            const std::size_t keep = model.empty() ? 0 : rng() % (model.size() + 2);
            SlotQueue<std::string> behind = q.take_from(keep);
            std::deque<std::string> model_behind;
            while (model.size() > keep) {
                model_behind.push_front(model.back());
                model.pop_back();
            }
            expect_same(behind, model_behind);
        }
        expect_same(q, model);
    }
}

TEST(SlotQueue, AllocatesNothingUntilUsedAndLittleOnceDrained) {
    SlotQueue<std::string> q;
    EXPECT_EQ(q.capacity(), 0U);  // std::deque would hold a map and a node here
    q.emplace_back() = "one";
    q.pop_front();
    EXPECT_TRUE(q.empty());
    EXPECT_LE(q.capacity(), SlotQueue<std::string>::kept_capacity);
    for (int i = 0; i < 100; ++i) q.emplace_back() = "burst";
    for (int i = 0; i < 100; ++i) q.pop_front();
    EXPECT_EQ(q.capacity(), 0U);  // a burst's room goes when it drains
    q.emplace_back() = "a";
    q.emplace_back() = "b";
    EXPECT_TRUE(q.take_from(0).size() == 2 && q.empty());
    for (int i = 0; i < 100; ++i) q.emplace_back() = "burst";
    EXPECT_EQ(q.take_from(0).size(), 100U);
    EXPECT_EQ(q.capacity(), 0U);  // a burst dropped whole gives its room back too
}

TEST(SlotQueue, PoppingReleasesWhatTheFrontHeldAtOnce) {
    // A popped answer's buffer goes back to the pool when it is popped, not
    // when the whole burst has drained.
    SlotQueue<std::shared_ptr<int>> q;
    auto first = std::make_shared<int>(1);
    q.emplace_back() = first;
    q.emplace_back() = std::make_shared<int>(2);
    EXPECT_EQ(first.use_count(), 2);
    q.pop_front();
    EXPECT_EQ(first.use_count(), 1);
    EXPECT_EQ(*q.front(), 2);
}
