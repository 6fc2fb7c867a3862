// connection_test.cpp: the pipeline: ordering, deferred answers, closing, backpressure, bodies.
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

/// A test application: records each request; answers at once unless told to
/// defer, in which case the test answers later through `answer`.
struct App : lesto::Dispatcher {
    struct Seen {
        std::uint64_t seq;
        std::string method, path, body, host;
    };
    std::vector<Seen> seen;
    std::vector<void*> abandoned;
    bool defer = false;
    int tokens = 0;

    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& r) override {
        std::string host;
        for (const auto& h : r.head.headers) {
            if (h.name == "Host") host = h.value;
        }
        seen.push_back(
            {seq, std::string(r.head.method), std::string(r.head.path), std::string(r.body), host});
        if (defer) {
            conn.set_token(seq, &tokens);
        } else {
            answer(conn, seq, std::string(r.head.path), r.head.version_minor);
        }
    }
    void abandon(void* token) noexcept override { abandoned.push_back(token); }

    static void answer(Connection& conn, std::uint64_t seq, const std::string& body,
                       std::uint8_t version_minor = 1) {
        lesto::http::ResponseSpec spec;
        spec.version_minor = version_minor;
        spec.body = body;
        spec.content_type = "text/plain";
        conn.respond(seq, spec);
    }
};

struct ConnectionTest : ::testing::Test {
    lesto::ConnectionLimits limits;
    lesto::http::DateCache date;
    App app;

    static void feed(Connection& c, std::string_view bytes) { lesto::test::feed(c, bytes); }
    static std::string take(Connection& c) { return lesto::test::take(c); }
    // Bodies of the final responses in `wire`, in order.
    static std::vector<std::string> bodies(const std::string& wire) {
        std::vector<std::string> out;
        for (const auto& r : lesto::test::read_responses(wire, lesto::test::fail_test))
            if (r.status != 100) out.push_back(r.body);
        return out;
    }
};

constexpr std::string_view get_a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view get_b = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view get_c = "GET /c HTTP/1.1\r\nHost: x\r\n\r\n";

TEST_F(ConnectionTest, PipelinedRequestsAreAnsweredInOrderInOneBuffer) {
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a) + std::string(get_b) + std::string(get_c));
    ASSERT_EQ(app.seen.size(), 3u);
    EXPECT_EQ(bodies(take(c)), (std::vector<std::string>{"/a", "/b", "/c"}));
    EXPECT_TRUE(c.wants_input());
    EXPECT_FALSE(c.finished());
}

TEST_F(ConnectionTest, AnEarlyAnswerWaitsForTheRequestsBeforeIt) {
    Connection c(1, limits, app, date);
    app.defer = true;
    feed(c, std::string(get_a) + std::string(get_b) + std::string(get_c));
    ASSERT_EQ(app.seen.size(), 3u);
    App::answer(c, 2, "third");
    App::answer(c, 1, "second");
    EXPECT_EQ(take(c), "");  // the first is still owed
    EXPECT_EQ(c.in_flight(), 3u);
    App::answer(c, 0, "first");
    EXPECT_EQ(bodies(take(c)), (std::vector<std::string>{"first", "second", "third"}));
    EXPECT_EQ(c.in_flight(), 0u);
}

TEST_F(ConnectionTest, ASecondAnswerToTheSameRequestIsIgnored) {
    Connection c(1, limits, app, date);
    app.defer = true;
    feed(c, std::string(get_a) + std::string(get_b));
    App::answer(c, 1, "b");
    App::answer(c, 1, "again");
    App::answer(c, 0, "a");
    App::answer(c, 0, "again");
    EXPECT_EQ(bodies(take(c)), (std::vector<std::string>{"a", "b"}));
}

TEST_F(ConnectionTest, ConnectionCloseStopsDispatchingAndFinishes) {
    Connection c(1, limits, app, date);
    feed(c, "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + std::string(get_b));
    ASSERT_EQ(app.seen.size(), 1u);
    const std::string out = take(c);
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
    EXPECT_TRUE(c.finished());
    EXPECT_FALSE(c.wants_input());
}

TEST_F(ConnectionTest, AnAnswerThatClosesAbandonsTheRequestsBehindIt) {
    Connection c(1, limits, app, date);
    app.defer = true;
    feed(c, std::string(get_a) + std::string(get_b) + std::string(get_c));
    lesto::http::ResponseSpec spec;
    spec.body = "bye";
    spec.keep_alive = false;  // the app asked to close after it (ASGI's connection: close)
    ASSERT_TRUE(c.respond(0, spec));
    const std::string out = take(c);
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(bodies(out), (std::vector<std::string>{"bye"}));
    EXPECT_EQ(app.abandoned.size(), 2u);  // the work of both requests behind it
    EXPECT_TRUE(c.finished());
    App::answer(c, 2, "too late");  // dropped: nothing follows a closing answer
    EXPECT_EQ(take(c), "");
}

TEST_F(ConnectionTest, AParseErrorIsAnsweredAfterEarlierRequestsAndNothingAfterIt) {
    Connection c(1, limits, app, date);
    app.defer = true;
    feed(c, std::string(get_a) + "GET /bad\x01 HTTP/1.1\r\nHost: x\r\n\r\n" + std::string(get_c));
    ASSERT_EQ(app.seen.size(), 1u);
    EXPECT_EQ(take(c), "");
    App::answer(c, 0, "a");
    const std::string out = take(c);
    ASSERT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    EXPECT_NE(out.find("HTTP/1.1 400 Bad Request\r\n"), std::string::npos);
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
    EXPECT_TRUE(c.finished());
}

TEST_F(ConnectionTest, InFlightLimitPausesParsingUntilAnswersArrive) {
    limits.max_in_flight = 2;
    Connection c(1, limits, app, date);
    app.defer = true;
    std::string five;
    for (int i = 0; i < 5; ++i) five += get_a;
    feed(c, five);
    EXPECT_EQ(app.seen.size(), 2u);
    EXPECT_FALSE(c.wants_input());
    App::answer(c, 0, "0");
    App::answer(c, 1, "1");
    c.process();
    EXPECT_EQ(app.seen.size(), 4u);
    App::answer(c, 2, "2");
    App::answer(c, 3, "3");
    c.process();
    ASSERT_EQ(app.seen.size(), 5u);
    App::answer(c, 4, "4");
    EXPECT_EQ(bodies(take(c)), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
    EXPECT_TRUE(c.wants_input());
}

TEST_F(ConnectionTest, OutputLimitPausesParsing) {
    limits.max_output_buffer = 1;
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a) + std::string(get_b));
    EXPECT_EQ(app.seen.size(), 1u);  // the first answer filled the output
    EXPECT_FALSE(c.wants_input());
    take(c);
    c.process();
    EXPECT_EQ(app.seen.size(), 2u);
}

TEST_F(ConnectionTest, ContentLengthBodyFedOneByteAtATime) {
    Connection c(1, limits, app, date);
    const std::string req = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world";
    for (char ch : req) feed(c, std::string_view(&ch, 1));
    ASSERT_EQ(app.seen.size(), 1u);
    EXPECT_EQ(app.seen[0].body, "hello world");
    EXPECT_EQ(app.seen[0].host, "h");
}

TEST_F(ConnectionTest, HeadViewsSurviveTheBufferGrowingForALargeBody) {
    Connection c(1, limits, app, date);
    const std::string body(3 * 1024 * 1024, 'z');
    feed(c, "POST /big HTTP/1.1\r\nHost: still-here\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n");
    for (std::size_t i = 0; i < body.size(); i += 100000)
        feed(c, std::string_view(body).substr(i, 100000));
    ASSERT_EQ(app.seen.size(), 1u);
    EXPECT_EQ(app.seen[0].host, "still-here");
    EXPECT_EQ(app.seen[0].path, "/big");
    EXPECT_TRUE(app.seen[0].body == body);
}

TEST_F(ConnectionTest, ChunkedBodyAcrossReadsThenAPipelinedRequest) {
    Connection c(1, limits, app, date);
    const std::string req =
        "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\n" +
        std::string(get_b);
    for (std::size_t i = 0; i < req.size(); i += 3) feed(c, std::string_view(req).substr(i, 3));
    ASSERT_EQ(app.seen.size(), 2u);
    EXPECT_EQ(app.seen[0].body, "hello world");
    EXPECT_EQ(app.seen[1].path, "/b");
}

TEST_F(ConnectionTest, ExpectContinueIsAnsweredBeforeTheBodyArrives) {
    Connection c(1, limits, app, date);
    feed(c, "PUT /u HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    EXPECT_EQ(take(c), "HTTP/1.1 100 Continue\r\n\r\n");
    EXPECT_TRUE(app.seen.empty());
    feed(c, "abc");
    ASSERT_EQ(app.seen.size(), 1u);
    EXPECT_EQ(app.seen[0].body, "abc");
    EXPECT_EQ(take(c).rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

TEST_F(ConnectionTest, PeerCloseAnswersWhatIsCompleteThenFinishes) {
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a) + "GET /partial HTT");
    c.input_closed();
    c.process();
    EXPECT_EQ(app.seen.size(), 1u);
    EXPECT_EQ(bodies(take(c)), (std::vector<std::string>{"/a"}));
    EXPECT_TRUE(c.finished());
}

TEST_F(ConnectionTest, DestroyingAConnectionAbandonsUnansweredWork) {
    {
        Connection c(1, limits, app, date);
        app.defer = true;
        feed(c, std::string(get_a) + std::string(get_b));
        App::answer(c, 1, "b");  // answered but not yet sent: nothing to abandon
    }
    EXPECT_EQ(app.abandoned.size(), 1u);
}

TEST_F(ConnectionTest, Http10ClosesByDefaultAndKeepsAliveWhenAsked) {
    Connection c(1, limits, app, date);
    feed(c, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const std::string out = take(c);
    EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
    EXPECT_FALSE(c.finished());
    feed(c, "GET /b HTTP/1.0\r\n\r\n");
    EXPECT_TRUE(c.finished());
    EXPECT_EQ(take(c).find("Connection: keep-alive"), std::string::npos);
}

}  // namespace

namespace {

TEST_F(ConnectionTest, StopReadingAnswersWhatWasReceivedThenFinishes) {
    Connection c(1, limits, app, date);
    app.defer = true;
    feed(c, std::string(get_a) + std::string(get_b) + "GET /partial HT");
    c.stop_reading();
    c.process();
    EXPECT_FALSE(c.wants_input());
    ASSERT_EQ(app.seen.size(), 2u);
    EXPECT_FALSE(c.finished());
    App::answer(c, 0, "a");
    App::answer(c, 1, "b");
    const std::string out = take(c);
    EXPECT_EQ(bodies(out), (std::vector<std::string>{"a", "b"}));
    // Only the last answer announces the close.
    EXPECT_EQ(out.find("Connection: close\r\n"), out.rfind("Connection: close\r\n"));
    EXPECT_GT(out.find("Connection: close\r\n"), out.find("\r\n\r\na"));
    EXPECT_TRUE(c.finished());
}

TEST_F(ConnectionTest, RefusingUnansweredWorkAnswers503InPlaceOfTheFirstAndNothingAfterIt) {
    Connection c(1, limits, app, date);
    app.defer = true;
    feed(c, std::string(get_a) + std::string(get_b) + std::string(get_c));
    c.stop_reading();
    c.process();
    App::answer(c, 0, "a");
    App::answer(c, 2, "c");  // made, but behind the unanswered /b
    EXPECT_TRUE(c.refuse_unanswered());
    const std::string out = take(c);
    const std::size_t refusal = out.find("HTTP/1.1 503 Service Unavailable\r\n");
    ASSERT_NE(refusal, std::string::npos);
    EXPECT_EQ(bodies(out.substr(0, refusal)), (std::vector<std::string>{"a"}));
    const std::string tail = out.substr(refusal);
    EXPECT_NE(tail.find("Connection: close\r\n"), std::string::npos);
    EXPECT_NE(tail.find("Retry-After: 1\r\n"), std::string::npos);
    EXPECT_EQ(out.find("\r\n\r\nc"), std::string::npos);  // nothing follows the close
    EXPECT_EQ(app.abandoned.size(), 1u);                  // /b's work; /c's was done
    EXPECT_TRUE(c.finished());
    EXPECT_EQ(c.in_flight(), 0u);
    EXPECT_FALSE(c.owes(1));
    App::answer(c, 1, "too late");
    EXPECT_EQ(take(c), "");
}

TEST_F(ConnectionTest, RefusingUnansweredWorkWhenNoneIsLeftWritesNothingAndFinishes) {
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a) + "GET /partial HT");
    take(c);
    EXPECT_FALSE(c.refuse_unanswered());
    EXPECT_EQ(take(c), "");
    EXPECT_TRUE(c.finished());
    EXPECT_FALSE(c.wants_input());
}

TEST_F(ConnectionTest, StopReadingAnIdleConnectionFinishesAtOnce) {
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a));
    take(c);
    c.stop_reading();
    c.process();
    EXPECT_TRUE(c.finished());
}

}  // namespace
