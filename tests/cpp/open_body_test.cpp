// open_body_test.cpp: responses whose body follows the head: streams and files, in pipeline order.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "invariant.hpp"
#include "pipeline/connection.hpp"
#include "support/connection_io.hpp"
#include "support/responses.hpp"

namespace {

using lesto::BodyEnd;
using lesto::Connection;
using lesto::OpenBody;
using lesto::OpenStatus;
using lesto::RequestRef;
using lesto::StreamStatus;

/// Records requests and what the connection tells about open bodies; the
/// tests answer.
struct App : lesto::Dispatcher {
    std::vector<std::uint64_t> seqs;
    std::vector<std::uint8_t> versions;
    std::vector<bool> heads;
    std::vector<void*> abandoned, writable;
    struct Finished {
        void* token;
        BodyEnd how;
        std::string reason;
    };
    std::vector<Finished> finished;

    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& r) override {
        seqs.push_back(seq);
        versions.push_back(r.head.version_minor);
        heads.push_back(r.head.is_head());
        conn.set_token(seq, this);
    }
    void abandon(void* token) noexcept override { abandoned.push_back(token); }
    void body_writable(void* token) noexcept override { writable.push_back(token); }
    void body_finished(void* token, BodyEnd how, std::string_view reason) noexcept override {
        finished.push_back({token, how, std::string(reason)});
    }
};

int tokens[8];

struct OpenBodyTest : ::testing::Test {
    lesto::ConnectionLimits limits;
    lesto::http::DateCache date;
    App app;

    static void feed(Connection& c, std::string_view bytes) { lesto::test::feed(c, bytes); }
    static std::string take(Connection& c) { return lesto::test::take(c); }
    lesto::http::ResponseSpec spec_for(std::size_t i) {
        lesto::http::ResponseSpec spec;
        spec.content_type = "text/plain";
        spec.version_minor = app.versions[i];
        spec.head_request = app.heads[i];
        return spec;
    }
    OpenStatus open_stream(Connection& c, std::size_t i, void* token, std::uint64_t length = 0,
                           bool declared = false) {
        lesto::http::ResponseSpec spec = spec_for(i);
        if (declared) {
            spec.framing = lesto::http::Framing::length;
            spec.content_length = length;
        }
        OpenBody body;
        body.kind = OpenBody::Kind::stream;
        body.token = token;
        return c.respond_open(app.seqs[i], spec, body);
    }
    void whole(Connection& c, std::size_t i, std::string_view text) {
        lesto::http::ResponseSpec spec = spec_for(i);
        spec.body = text;
        c.respond(app.seqs[i], spec);
    }
    static std::vector<lesto::test::Response> read(const std::string& wire) {
        return lesto::test::read_responses(wire, lesto::test::fail_test);
    }
};

constexpr std::string_view get_a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view get_b = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";

TEST_F(OpenBodyTest, AStreamWithoutLengthGoesOutChunked) {
    Connection c(1, limits, app, date);
    feed(c, get_a);
    ASSERT_EQ(open_stream(c, 0, &tokens[0]), OpenStatus::open);
    EXPECT_EQ(c.stream_write(0, "hello "), StreamStatus::ok);
    EXPECT_EQ(c.stream_write(0, ""), StreamStatus::ok);  // nothing: an empty chunk would end it
    EXPECT_EQ(c.stream_write(0, "world"), StreamStatus::ok);
    EXPECT_EQ(c.stream_end(0), StreamStatus::ok);
    const auto rs = read(take(c));
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_TRUE(rs[0].says("Transfer-Encoding", "chunked"));
    EXPECT_EQ(rs[0].field("Content-Length"), "");
    EXPECT_EQ(rs[0].body, "hello world");
    ASSERT_EQ(app.finished.size(), 1u);
    EXPECT_EQ(app.finished[0].how, BodyEnd::sent);
    EXPECT_EQ(c.in_flight(), 0u);
}

TEST_F(OpenBodyTest, ADeclaredLengthIsSentAndEnforcedBothWays) {
    Connection c(1, limits, app, date);
    feed(c, get_a);
    ASSERT_EQ(open_stream(c, 0, &tokens[0], 5, true), OpenStatus::open);
    EXPECT_EQ(c.stream_write(0, "abc"), StreamStatus::ok);
    EXPECT_EQ(c.stream_write(0, "de"), StreamStatus::ok);
    EXPECT_EQ(c.stream_end(0), StreamStatus::ok);
    const auto rs = read(take(c));
    EXPECT_EQ(rs[0].field("Content-Length"), "5");
    EXPECT_EQ(rs[0].body, "abcde");
    EXPECT_FALSE(c.finished());

    feed(c, get_b);
    ASSERT_EQ(open_stream(c, 1, &tokens[1], 2, true), OpenStatus::open);
    EXPECT_EQ(c.stream_write(1, "xyz"), StreamStatus::too_long);
    EXPECT_EQ(c.stream_write(1, "x"), StreamStatus::gone);
    EXPECT_TRUE(c.finished());  // the connection closes after the head
    ASSERT_EQ(app.finished.size(), 2u);
    EXPECT_EQ(app.finished[1].how, BodyEnd::failed);
    EXPECT_NE(app.finished[1].reason.find("Content-Length"), std::string::npos);
}

TEST_F(OpenBodyTest, AStreamEndingShortOfItsLengthClosesTheConnection) {
    Connection c(1, limits, app, date);
    feed(c, get_a);
    ASSERT_EQ(open_stream(c, 0, &tokens[0], 10, true), OpenStatus::open);
    EXPECT_EQ(c.stream_write(0, "abc"), StreamStatus::ok);
    EXPECT_EQ(c.stream_end(0), StreamStatus::too_short);
    EXPECT_TRUE(c.finished());
    EXPECT_FALSE(c.wants_input());
}

TEST_F(OpenBodyTest, AnswersBehindAStreamWaitForItsEnd) {
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a) + std::string(get_b));
    ASSERT_EQ(app.seqs.size(), 2u);
    ASSERT_EQ(open_stream(c, 0, &tokens[0]), OpenStatus::open);
    whole(c, 1, "second");
    EXPECT_EQ(c.stream_write(0, "first"), StreamStatus::ok);
    std::string wire = take(c);
    EXPECT_EQ(wire.find("second"), std::string::npos);
    EXPECT_EQ(c.stream_end(0), StreamStatus::ok);
    wire += take(c);
    const auto rs = read(wire);
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].body, "first");
    EXPECT_EQ(rs[1].body, "second");
}

TEST_F(OpenBodyTest, AStreamBehindAnotherAnswerWaitsInItsSlotThenGoesOut) {
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a) + std::string(get_b));
    ASSERT_EQ(open_stream(c, 1, &tokens[1]), OpenStatus::open);
    EXPECT_EQ(c.stream_write(1, "early"), StreamStatus::ok);
    EXPECT_TRUE(c.output().empty());  // /a is owed first
    whole(c, 0, "one");
    EXPECT_EQ(c.stream_write(1, " late"), StreamStatus::ok);
    EXPECT_EQ(c.stream_end(1), StreamStatus::ok);
    const auto rs = read(take(c));
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].body, "one");
    EXPECT_EQ(rs[1].body, "early late");
}

TEST_F(OpenBodyTest, AFullStreamIsToldWhenTheOutputDrains) {
    limits.max_stream_buffer = 100;
    Connection c(1, limits, app, date);
    feed(c, get_a);
    ASSERT_EQ(open_stream(c, 0, &tokens[0]), OpenStatus::open);
    EXPECT_EQ(c.stream_write(0, std::string(150, 'x')), StreamStatus::full);
    EXPECT_TRUE(app.writable.empty());
    c.output_sent(10);  // still above half the room
    EXPECT_TRUE(app.writable.empty());
    take(c);
    ASSERT_EQ(app.writable.size(), 1u);
    EXPECT_EQ(app.writable[0], &tokens[0]);
}

TEST_F(OpenBodyTest, AFailedStreamNotYetSentBecomesA500) {
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a) + std::string(get_b) + "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(open_stream(c, 1, &tokens[1]), OpenStatus::open);
    c.stream_write(1, "partial");
    c.stream_abort(1);
    whole(c, 0, "one");
    const auto rs = read(take(c));
    ASSERT_EQ(rs.size(), 2u);  // /c gets no answer: nothing may follow the close
    EXPECT_EQ(rs[0].body, "one");
    EXPECT_EQ(rs[1].status, 500);
    EXPECT_TRUE(rs[1].says("Connection", "close"));
    EXPECT_TRUE(c.finished());
    EXPECT_EQ(app.abandoned.size(), 1u);  // /c's work
}

TEST_F(OpenBodyTest, HeadAnswersWithTheHeadAlone) {
    Connection c(1, limits, app, date);
    feed(c, "HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(open_stream(c, 0, &tokens[0]), OpenStatus::no_body);
    const std::string wire = take(c);
    EXPECT_NE(wire.find("Transfer-Encoding: chunked"), std::string::npos);
    EXPECT_EQ(wire.substr(wire.size() - 4), "\r\n\r\n");
    EXPECT_EQ(c.in_flight(), 0u);
}

TEST_F(OpenBodyTest, Http10StreamsEndWithTheConnection) {
    Connection c(1, limits, app, date);
    feed(c, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ASSERT_EQ(open_stream(c, 0, &tokens[0]), OpenStatus::open);
    c.stream_write(0, "data");
    c.stream_end(0);
    const std::string wire = take(c);
    EXPECT_EQ(wire.find("Transfer-Encoding"), std::string::npos);
    EXPECT_EQ(wire.find("Content-Length"), std::string::npos);
    EXPECT_EQ(wire.substr(wire.size() - 4), "data");
    EXPECT_TRUE(c.finished());
}

TEST_F(OpenBodyTest, AClosedConnectionAbandonsItsOpenBodies) {
    {
        Connection c(1, limits, app, date);
        feed(c, std::string(get_a) + std::string(get_b));
        open_stream(c, 0, &tokens[0]);
        open_stream(c, 1, &tokens[1]);
    }
    ASSERT_EQ(app.finished.size(), 2u);
    EXPECT_EQ(app.finished[0].how, BodyEnd::abandoned);
    EXPECT_EQ(app.finished[1].how, BodyEnd::abandoned);
}

TEST_F(OpenBodyTest, AStopCutsAStreamStillGoing) {
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a) + std::string(get_b));
    open_stream(c, 0, &tokens[0]);
    c.stream_write(0, "part");
    EXPECT_FALSE(c.refuse_unanswered());
    EXPECT_TRUE(c.finished());
    ASSERT_EQ(app.finished.size(), 1u);
    EXPECT_EQ(app.finished[0].how, BodyEnd::failed);
    EXPECT_EQ(app.abandoned.size(), 1u);  // /b
}

TEST_F(OpenBodyTest, AStopAbandonsAStreamWaitingBehindTheRefusedRequest) {
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a) + std::string(get_b));
    // /a is still unanswered; /b's stream waits in its slot behind it.
    ASSERT_EQ(open_stream(c, 1, &tokens[1]), OpenStatus::open);
    EXPECT_TRUE(c.refuse_unanswered());
    EXPECT_TRUE(c.finished());
    ASSERT_EQ(app.finished.size(), 1u);
    EXPECT_EQ(app.finished[0].token, &tokens[1]);
    EXPECT_EQ(app.finished[0].how, BodyEnd::abandoned);
    EXPECT_EQ(c.stream_write(1, "late"), StreamStatus::gone);
}

/// A temporary file holding `text`, opened for reading.
int temp_file(const std::string& text) {
    char name[] = "/tmp/lesto_open_body_XXXXXX";
    const int fd = mkstemp(name);
    unlink(name);
    EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    return fd;
}

TEST_F(OpenBodyTest, AFileIsHandedToTheSocketLayerAfterItsHead) {
    Connection c(1, limits, app, date);
    feed(c, std::string(get_a) + std::string(get_b));
    lesto::http::ResponseSpec spec = spec_for(0);
    OpenBody body;
    body.kind = OpenBody::Kind::file;
    body.fd = temp_file("0123456789");
    body.offset = 2;
    body.remaining = 5;
    body.token = &tokens[0];
    ASSERT_EQ(c.respond_open(0, spec, body), OpenStatus::open);
    whole(c, 1, "next");
    EXPECT_EQ(c.file_to_send(), nullptr);  // the head first
    std::string wire = take(c);
    EXPECT_NE(wire.find("Content-Length: 5"), std::string::npos);
    const OpenBody* f = c.file_to_send();
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->offset, 2u);
    EXPECT_EQ(f->remaining, 5u);
    c.file_sent(3);
    EXPECT_EQ(c.file_to_send()->remaining, 2u);
    c.file_sent(2);
    EXPECT_EQ(c.file_to_send(), nullptr);
    EXPECT_NE(take(c).find("next"), std::string::npos);
    ASSERT_EQ(app.finished.size(), 1u);
    EXPECT_EQ(app.finished[0].how, BodyEnd::sent);
}

TEST_F(OpenBodyTest, AFileThatShrinksCutsTheConnection) {
    Connection c(1, limits, app, date);
    feed(c, get_a);
    lesto::http::ResponseSpec spec = spec_for(0);
    OpenBody body;
    body.kind = OpenBody::Kind::file;
    body.fd = temp_file("abc");
    body.remaining = 3;
    body.token = &tokens[0];
    ASSERT_EQ(c.respond_open(0, spec, body), OpenStatus::open);
    take(c);
    c.file_sent(0);
    EXPECT_TRUE(c.finished());
    EXPECT_FALSE(c.sending());
    ASSERT_EQ(app.finished.size(), 1u);
    EXPECT_EQ(app.finished[0].how, BodyEnd::failed);
    EXPECT_NE(app.finished[0].reason.find("shrank"), std::string::npos);
}

TEST_F(OpenBodyTest, AWholeResponseMayNotNameItsOwnFraming) {
    Connection c(1, limits, app, date);
    feed(c, get_a);
    lesto::http::ResponseSpec spec = spec_for(0);
    const lesto::http::Header h{"content-length", "3"};
    spec.headers = {&h, 1};
    spec.body = "abc";
    EXPECT_FALSE(c.respond(0, spec));
    EXPECT_EQ(read(take(c))[0].status, 500);
}

}  // namespace

namespace {

TEST_F(OpenBodyTest, ALentPieceGoesOutFromItsOwnMemoryAndTheRestIsCopied) {
    Connection c(1, limits, app, date);
    feed(c, get_a);
    ASSERT_EQ(open_stream(c, 0, &tokens[0]), OpenStatus::open);
    std::string wire = take(c);  // the head
    std::string piece(40000, 'p');
    ASSERT_EQ(c.stream_write_lent(0, piece), StreamStatus::ok);
    EXPECT_EQ(c.lent()[0].data(), piece.data());  // not copied
    EXPECT_EQ(c.lent()[1], "\r\n");               // the chunk's end, sent with it
    EXPECT_TRUE(c.sending());
    wire += take(c);  // the chunk-size line the socket layer sends first
    wire += piece.substr(0, 1000);
    c.lent_sent(1000);  // the socket took part of the piece
    EXPECT_EQ(c.settle_lent(0), StreamStatus::ok);
    EXPECT_FALSE(c.has_lent());
    piece.assign(piece.size(), 'x');  // the producer's memory is its own again
    EXPECT_EQ(c.stream_write_lent(0, "small"), StreamStatus::ok);  // copied at once
    EXPECT_FALSE(c.has_lent());
    EXPECT_EQ(c.stream_end(0), StreamStatus::ok);
    wire += take(c);
    const auto rs = read(wire);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].body, std::string(40000, 'p') + "small");
}

TEST_F(OpenBodyTest, ASendThatStopsInsideALentChunksEndLeavesTheRestToCopy) {
    Connection c(1, limits, app, date);
    feed(c, get_a);
    ASSERT_EQ(open_stream(c, 0, &tokens[0]), OpenStatus::open);
    std::string wire = take(c);
    std::string piece(20000, 'p');
    ASSERT_EQ(c.stream_write_lent(0, piece), StreamStatus::ok);
    wire += take(c) + piece + "\r";
    c.lent_sent(piece.size() + 1);  // the whole piece and half of its CRLF
    EXPECT_TRUE(c.lent()[0].empty());
    EXPECT_EQ(c.lent()[1], "\n");
    EXPECT_EQ(c.settle_lent(0), StreamStatus::ok);
    EXPECT_FALSE(c.has_lent());
    EXPECT_EQ(c.stream_end(0), StreamStatus::ok);
    wire += take(c);
    const auto rs = read(wire);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].body, std::string(20000, 'p'));
}

}  // namespace
