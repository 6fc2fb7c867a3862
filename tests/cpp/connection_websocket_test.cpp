// connection_websocket_test.cpp: the pipeline after an upgrade: the 101 in order, frames both
// ways, holding, backpressure, the close handshake, limits, draining and keep-alive pings.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "invariant.hpp"
#include "pipeline/connection.hpp"
#include "support/connection_io.hpp"
#include "support/responses.hpp"
#include "support/ws_session.hpp"
#include "websocket/handshake.hpp"

namespace {

using lesto::BodyEnd;
using lesto::Connection;
using lesto::OpenStatus;
using lesto::RequestRef;
using lesto::StreamStatus;
using lesto::ws::Opcode;
using namespace lesto::test;

/// A test application: answers plain requests with their path; an upgrade is
/// checked and accepted at once, or later through `accept` when told to defer.
struct App : lesto::Dispatcher {
    bool defer = false;
    bool refuse = false;  // answer upgrades with a plain 403 instead
    int token = 0;
    std::uint64_t ws_seq = 0;
    std::string key;
    std::vector<std::pair<bool, std::string>> messages;  // (text, payload)
    std::vector<std::pair<std::uint16_t, std::string>> closed;
    std::vector<BodyEnd> finished;
    std::vector<std::uint64_t> later;

    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& r) override {
        if (!lesto::ws::wants_websocket(r.head)) {
            lesto::http::ResponseSpec spec;
            spec.body = r.head.path;
            spec.content_type = "text/plain";
            conn.respond(seq, spec);
            return;
        }
        lesto::ws::Handshake hs;
        if (const auto refusal = lesto::ws::read_handshake(r.head, {.enabled = false}, hs)) {
            conn.respond_error(seq, refusal.status, refusal.reason,
                               lesto::ws::refusal_headers(refusal));
            return;
        }
        conn.expect_upgrade(seq);
        if (refuse) {
            conn.respond_error(seq, 403, "no WebSockets here");
            return;
        }
        ws_seq = seq;
        key = hs.key;
        conn.set_token(seq, &token);
        if (!defer) accept(conn);
    }
    void accept(Connection& conn) {
        std::string why;
        ASSERT_EQ(conn.accept_websocket(ws_seq, {.key = key}, &token, why), OpenStatus::open)
            << why;
    }
    void abandon(void*) noexcept override { finished.push_back(BodyEnd::failed); }
    void body_finished(void* t, BodyEnd how, std::string_view) noexcept override {
        EXPECT_EQ(t, &token);
        finished.push_back(how);
    }
    void ws_message(void* t, bool text, std::string_view payload) noexcept override {
        EXPECT_EQ(t, &token);
        messages.emplace_back(text, std::string(payload));
    }
    void ws_closed(void* t, std::uint16_t code, std::string_view reason) noexcept override {
        EXPECT_EQ(t, &token);
        closed.emplace_back(code, std::string(reason));
    }
    void serve_later(std::uint64_t conn_id) noexcept override { later.push_back(conn_id); }
};

// The sample key of RFC 6455 1.3 and its accept value.
constexpr std::string_view upgrade =
    "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
constexpr std::string_view get_a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";

struct ConnectionWebSocketTest : ::testing::Test {
    lesto::ConnectionLimits limits;
    lesto::http::DateCache date;
    App app;

    struct Upgraded {
        std::string before;  ///< the responses ahead of the 101
        std::string head;    ///< the 101's head
        std::string frames;  ///< what follows it
    };
    static Upgraded split_101(const std::string& out) {
        const auto at = out.find("HTTP/1.1 101 Switching Protocols\r\n");
        if (at == std::string::npos) return {out, {}, {}};
        const auto end = out.find("\r\n\r\n", at);
        EXPECT_NE(end, std::string::npos);
        return {out.substr(0, at), out.substr(at, end + 4 - at), out.substr(end + 4)};
    }
    static std::vector<ServerFrame> frames(std::string_view wire) {
        return read_server_frames(wire, fail_test);
    }
    static ServerFrame frame(Opcode op, std::string_view payload) {
        return {true, 0, static_cast<std::uint8_t>(op), std::string(payload)};
    }
    static std::string text(std::string_view payload) {
        return client_frame(Opcode::text, payload);
    }
};

TEST_F(ConnectionWebSocketTest, AnAcceptedUpgradeSends101AndCarriesMessagesBothWays) {
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    const auto [before, head, rest] = split_101(take(c));
    EXPECT_TRUE(before.empty());
    EXPECT_NE(head.find("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
              std::string::npos)
        << head;
    EXPECT_TRUE(rest.empty());
    ASSERT_TRUE(c.websocket());

    feed(c, text("hello") + client_frame(Opcode::binary, std::string("\0\1", 2)));
    EXPECT_EQ(app.messages, (std::vector<std::pair<bool, std::string>>{
                                {true, "hello"}, {false, std::string("\0\1", 2)}}));
    EXPECT_EQ(c.ws_send(app.ws_seq, true, "back"), StreamStatus::ok);
    EXPECT_EQ(frames(take(c)), std::vector<ServerFrame>{frame(Opcode::text, "back")});
    EXPECT_TRUE(c.wants_input());
}

TEST_F(ConnectionWebSocketTest, The101WaitsBehindEarlierAnswersAndFramesBehindIt) {
    app.defer = true;
    Connection c(1, limits, app, date);
    // One read: a plain request, the handshake, and a frame sent optimistically.
    feed(c, std::string(get_a) + std::string(upgrade) + text("early"));
    EXPECT_TRUE(app.messages.empty()) << "no frame is read before the 101";
    app.accept(c);
    c.process();
    const auto [before, head, rest] = split_101(take(c));
    const auto answers = read_responses(before, fail_test);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].body, "/a");
    EXPECT_FALSE(head.empty());
    EXPECT_TRUE(rest.empty());
    EXPECT_EQ(app.messages, (std::vector<std::pair<bool, std::string>>{{true, "early"}}));
}

TEST_F(ConnectionWebSocketTest, AnUpgradeAnsweredWithoutA101ClosesAndParsesNothingBehindIt) {
    app.refuse = true;
    Connection c(1, limits, app, date);
    feed(c, std::string(upgrade) + std::string(get_a));
    const auto answers = read_responses(take(c), fail_test);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].status, 403);
    EXPECT_TRUE(c.finished());
    EXPECT_FALSE(c.websocket());
}

TEST_F(ConnectionWebSocketTest, ABadHandshakeGetsItsRefusalWithTheVersionHeader) {
    Connection c(1, limits, app, date);
    std::string v12(upgrade);
    v12.replace(v12.find("Version: 13"), 11, "Version: 12");
    feed(c, v12);
    const auto answers = read_responses(take(c), fail_test);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].status, 426);
    EXPECT_TRUE(answers[0].says("Sec-WebSocket-Version", "13"));
}

TEST_F(ConnectionWebSocketTest, TheClientsCloseIsEchoedReportedAndFinishesTheConnection) {
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    take(c);
    feed(c, client_frame(Opcode::close, close_body(1000, "bye")));
    EXPECT_EQ(app.closed, (std::vector<std::pair<std::uint16_t, std::string>>{{1000, "bye"}}));
    EXPECT_EQ(frames(take(c)), std::vector<ServerFrame>{frame(Opcode::close, close_body(1000))});
    EXPECT_EQ(app.finished, std::vector<BodyEnd>{BodyEnd::sent});
    EXPECT_TRUE(c.finished());
    EXPECT_EQ(c.ws_send(app.ws_seq, true, "late"), StreamStatus::gone);
}

TEST_F(ConnectionWebSocketTest, TheServersCloseFinishesWhenThePeerAnswers) {
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    take(c);
    c.ws_close(app.ws_seq, 4000, "done");
    EXPECT_EQ(frames(take(c)),
              std::vector<ServerFrame>{frame(Opcode::close, close_body(4000, "done"))});
    EXPECT_FALSE(c.finished());
    feed(c, client_frame(Opcode::close, close_body(4000)));
    EXPECT_TRUE(c.finished());
    EXPECT_EQ(app.finished, std::vector<BodyEnd>{BodyEnd::sent});
}

TEST_F(ConnectionWebSocketTest, AMessageOverTheLimitClosesWith1009) {
    limits.max_websocket_message = 16;
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    take(c);
    feed(c, text(std::string(17, 'x')));
    EXPECT_TRUE(app.messages.empty());
    ASSERT_EQ(app.closed.size(), 1u);
    EXPECT_EQ(app.closed[0].first, 1009);
    const auto out = frames(take(c));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].opcode, static_cast<std::uint8_t>(Opcode::close));
    EXPECT_EQ(out[0].payload.substr(0, 2), close_body(1009));
}

TEST_F(ConnectionWebSocketTest, AHeldWebSocketReadsNothingUntilLetGo) {
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    take(c);
    c.ws_hold(true);
    EXPECT_FALSE(c.wants_input());
    c.ws_hold(false);
    EXPECT_TRUE(c.wants_input());
}

TEST_F(ConnectionWebSocketTest, SendingAboveTheHighWaterMarkSaysFullAndPongsStopReading) {
    limits.max_stream_buffer = 1024;
    limits.max_output_buffer = 2048;
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    take(c);
    const std::string piece(600, 'x');
    EXPECT_EQ(c.ws_send(app.ws_seq, true, piece), StreamStatus::ok);
    EXPECT_EQ(c.ws_send(app.ws_seq, true, piece), StreamStatus::full);
    // A client that sends and never reads: its pings' pongs pile up to the output bound.
    std::string pings;
    for (int i = 0; i < 20; ++i) pings += client_frame(Opcode::ping, std::string(100, 'p'));
    feed(c, pings);
    EXPECT_FALSE(c.wants_input());
    EXPECT_EQ(frames(take(c)).size(), 22u);
    EXPECT_TRUE(c.wants_input());
}

TEST_F(ConnectionWebSocketTest, DrainingClosesAnOpenWebSocketWith1001) {
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    take(c);
    c.stop_reading();
    c.process();
    const auto out = frames(take(c));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].opcode, static_cast<std::uint8_t>(Opcode::close));
    EXPECT_EQ(out[0].payload.substr(0, 2), close_body(1001));
}

TEST_F(ConnectionWebSocketTest, AKeepAlivePingThenSilenceClosesWith1011) {
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    take(c);
    EXPECT_TRUE(c.ws_keepalive(false));
    EXPECT_EQ(frames(take(c)), std::vector<ServerFrame>{frame(Opcode::ping, "")});
    EXPECT_FALSE(c.ws_keepalive(true));
    ASSERT_EQ(app.closed.size(), 1u);
    EXPECT_EQ(app.closed[0].first, 1011);
    const auto out = frames(take(c));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload.substr(0, 2), close_body(1011));
    EXPECT_EQ(app.finished, std::vector<BodyEnd>{BodyEnd::failed});
    EXPECT_TRUE(c.finished());
}

TEST_F(ConnectionWebSocketTest, AnUnansweredCloseIsGivenUpOnAtTheNextPingWith1006) {
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    take(c);
    c.ws_close(app.ws_seq, 1000, "");
    take(c);
    EXPECT_FALSE(c.ws_keepalive(false));
    EXPECT_EQ(app.closed, (std::vector<std::pair<std::uint16_t, std::string>>{
                              {1006, "the peer did not answer the close handshake"}}));
    EXPECT_EQ(app.finished, std::vector<BodyEnd>{BodyEnd::failed});
    EXPECT_TRUE(c.finished());
}

TEST_F(ConnectionWebSocketTest, AMessageThenABadFrameInOneReadWaitsForTheAppsTurn) {
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    take(c);
    feed(c, text("first") + client_frame(Opcode::text, "x", true, lesto::ws::rsv2));
    EXPECT_EQ(app.messages, (std::vector<std::pair<bool, std::string>>{{true, "first"}}));
    EXPECT_TRUE(app.closed.empty()) << "the bad frame waits behind the app's answer";
    EXPECT_EQ(app.later, std::vector<std::uint64_t>{1});
    EXPECT_EQ(c.ws_send(app.ws_seq, true, "first"), StreamStatus::ok);
    c.process();
    const auto out = frames(take(c));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0], frame(Opcode::text, "first"));
    EXPECT_EQ(out[1].payload.substr(0, 2), close_body(1002));
    ASSERT_EQ(app.closed.size(), 1u);
    EXPECT_EQ(app.closed[0].first, 1002);
}

TEST_F(ConnectionWebSocketTest, AConnectionLostMidWebSocketFinishesItsToken) {
    Connection c(1, limits, app, date);
    feed(c, upgrade);
    take(c);
    feed(c, client_frame(Opcode::text, "cut short").substr(0, 5));
    c.input_closed();
    c.process();
    EXPECT_TRUE(app.messages.empty());
    EXPECT_EQ(app.closed, (std::vector<std::pair<std::uint16_t, std::string>>{
                              {1006, "the connection was lost"}}));
    EXPECT_EQ(app.finished, std::vector<BodyEnd>{BodyEnd::failed});
    EXPECT_TRUE(c.finished());
    EXPECT_TRUE(take(c).empty()) << "no close frame on a connection that is gone";
}

}  // namespace
