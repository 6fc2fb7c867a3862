// body_stream_test.cpp: request bodies read piece by piece, as their reader asks.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "invariant.hpp"
#include "pipeline/connection.hpp"
#include "support/connection_io.hpp"
#include "support/responses.hpp"

namespace {

using lesto::Connection;
using lesto::RequestRef;

/// Streams the body of every request to /up; records what its reader got.
struct App : lesto::Dispatcher {
    struct Input {
        std::string piece;
        bool last;
        std::string error;
    };
    std::vector<std::uint64_t> seqs;
    std::vector<std::string> paths, whole_bodies;
    std::vector<Input> inputs;
    int reader = 0;

    bool may_stream_bodies() const noexcept override { return true; }
    bool streams_body(const lesto::http::RequestHead& head) override { return head.path == "/up"; }
    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& r) override {
        seqs.push_back(seq);
        paths.emplace_back(r.head.path);
        whole_bodies.emplace_back(r.body);
        if (r.head.path == "/up") conn.set_body_reader(seq, &reader);
        conn.set_token(seq, this);
    }
    void abandon(void*) noexcept override {}
    void body_input(void* token, std::string_view piece, bool last,
                    std::string_view error) noexcept override {
        EXPECT_EQ(token, &reader);
        inputs.push_back({std::string(piece), last, std::string(error)});
    }
    std::string read() const {
        std::string all;
        for (const Input& i : inputs) all += i.piece;
        return all;
    }
};

struct BodyStreamTest : ::testing::Test {
    lesto::ConnectionLimits limits;
    lesto::http::DateCache date;
    App app;

    static void feed(Connection& c, std::string_view bytes) { lesto::test::feed(c, bytes); }
    void answer(Connection& c, std::size_t i, std::string_view body) {
        lesto::http::ResponseSpec spec;
        spec.content_type = "text/plain";
        spec.body = body;
        c.respond(app.seqs[i], spec);
    }
    static std::string take(Connection& c) { return lesto::test::take(c); }
};

TEST_F(BodyStreamTest, TheRequestIsDispatchedBeforeItsBodyAndReadAsAsked) {
    Connection c(1, limits, app, date);
    feed(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
    ASSERT_EQ(app.seqs.size(), 1u);
    EXPECT_TRUE(app.inputs.empty());  // nobody asked yet
    EXPECT_TRUE(c.want_body(0));
    c.process();
    ASSERT_EQ(app.inputs.size(), 1u);
    EXPECT_EQ(app.inputs[0].piece, "hello");
    EXPECT_FALSE(app.inputs[0].last);
    feed(c, "world");
    EXPECT_EQ(app.inputs.size(), 1u);  // one piece per ask
    c.want_body(0);
    c.process();
    ASSERT_EQ(app.inputs.size(), 2u);
    EXPECT_EQ(app.inputs[1].piece, "world");
    EXPECT_TRUE(app.inputs[1].last);
}

TEST_F(BodyStreamTest, AChunkedBodyIsDecodedAsItStreams) {
    Connection c(1, limits, app, date);
    feed(c, "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    c.want_body(0);
    c.process();
    feed(c, "6\r\n world\r\n0\r\n\r\n");
    c.want_body(0);
    c.process();
    EXPECT_EQ(app.read(), "hello world");
    EXPECT_TRUE(app.inputs.back().last);
}

TEST_F(BodyStreamTest, TheNextRequestWaitsForTheStreamedBody) {
    Connection c(1, limits, app, date);
    feed(c,
         "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\nHost: "
         "x\r\n\r\n");
    EXPECT_EQ(app.paths.size(), 1u);
    c.want_body(0);
    c.process();
    EXPECT_EQ(app.read(), "abc");
    ASSERT_EQ(app.paths.size(), 2u);
    EXPECT_EQ(app.paths[1], "/next");
}

TEST_F(BodyStreamTest, ReadingPausesWhileTheReaderDoesNotAsk) {
    Connection c(1, limits, app, date);
    feed(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
    EXPECT_TRUE(c.wants_input());
    feed(c, std::string(64 * 1024, 'x'));
    EXPECT_FALSE(c.wants_input());   // read ahead, then the client waits in TCP
    EXPECT_FALSE(c.reading_body());  // and is not late: the reader is
    c.want_body(0);
    c.process();
    EXPECT_TRUE(c.wants_input());
}

TEST_F(BodyStreamTest, ContinueIsSentWhenTheReaderFirstAsks) {
    Connection c(1, limits, app, date);
    feed(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_TRUE(c.output().empty());
    c.want_body(0);
    EXPECT_EQ(take(c), "HTTP/1.1 100 Continue\r\n\r\n");
    c.want_body(0);
    EXPECT_TRUE(c.output().empty());  // once
}

TEST_F(BodyStreamTest, ABodyLeftUnreadIsDroppedOnceAnswered) {
    Connection c(1, limits, app, date);
    feed(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab");
    answer(c, 0, "early");
    feed(c, "cdefGET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(app.inputs.size(), 1u);
    EXPECT_FALSE(app.inputs[0].error.empty());  // the reader is told
    ASSERT_EQ(app.paths.size(), 2u);
    EXPECT_EQ(app.paths[1], "/next");
}

TEST_F(BodyStreamTest, AFinishedConnectionWantsNoMoreOfAnUnreadBody) {
    // The last request (HTTP/1.0) is answered and sent before its body is
    // read: the socket may close, and no one will read the rest.
    Connection c(1, limits, app, date);
    feed(c, "POST /up HTTP/1.0\r\nHost: x\r\nContent-Length: 10\r\n\r\nhel");
    answer(c, 0, "early");
    take(c);
    EXPECT_TRUE(c.finished());
    EXPECT_FALSE(c.wants_input());
}

TEST_F(BodyStreamTest, ALengthAboveTheStreamLimitIs413BeforeDispatch) {
    limits.max_stream_body_bytes = 100;
    Connection c(1, limits, app, date);
    feed(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
    EXPECT_TRUE(app.seqs.empty());
    const auto rs = lesto::test::read_responses(take(c), lesto::test::fail_test);
    EXPECT_EQ(rs[0].status, 413);
}

TEST_F(BodyStreamTest, OtherRoutesKeepTheBodyLimit) {
    limits.max_body_bytes = 10;
    Connection c(1, limits, app, date);
    feed(c, "POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n");
    EXPECT_TRUE(app.seqs.empty());
    EXPECT_EQ(lesto::test::read_responses(take(c), lesto::test::fail_test)[0].status, 413);
    Connection d(2, limits, app, date);
    feed(d, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n");
    EXPECT_EQ(app.seqs.size(), 1u);  // streamed: its own limit
}

TEST_F(BodyStreamTest, ABadChunkIsAnsweredAndTheReaderTold) {
    Connection c(1, limits, app, date);
    feed(c, "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    c.want_body(0);
    c.process();
    ASSERT_EQ(app.inputs.size(), 1u);
    EXPECT_FALSE(app.inputs[0].error.empty());
    const auto rs = lesto::test::read_responses(take(c), lesto::test::fail_test);
    EXPECT_EQ(rs[0].status, 400);
    EXPECT_TRUE(c.finished());
}

TEST_F(BodyStreamTest, AClientThatLeavesMidBodyIsReported) {
    {
        Connection c(1, limits, app, date);
        feed(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
        c.want_body(0);
        c.process();
        c.input_closed();
        c.want_body(0);
        c.process();
        ASSERT_EQ(app.inputs.size(), 2u);
        EXPECT_NE(app.inputs[1].error.find("closed"), std::string::npos);
    }
    EXPECT_EQ(app.inputs.size(), 2u);  // told once
}

}  // namespace
